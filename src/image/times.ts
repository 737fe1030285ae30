/**
 * The image's times: `created` parsed as the script parses it (with the
 * chosen CPython's fromisoformat and local time zone), and every member's
 * mtime, a bad value being a ConfError that names the key.
 */
import { currentKeysOf, type ImageConf } from "../conf/validate.ts";
import { generationRules } from "../profile/generation.ts";
import { ConfError } from "../conf/read.ts";
import type { PythonVersion } from "../profile/python.ts";
import { parseCreated, timestampSeconds, type MicrosecondClock, type PyDateTime } from "../py/datetime/datetime.ts";
import { PythonError } from "../py/python-errors.ts";

/** The conf's time key `name` (created, mtime), or "now" read from `now`. */
function parseTimeKey(name: string, value: string, python: PythonVersion, now: MicrosecondClock): PyDateTime {
  try {
    return parseCreated(value, python, now);
  } catch (error) {
    if (error instanceof PythonError) throw new ConfError(`"${name}": ${error.pythonType}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * `created`, and the members' mtime: `int(….timestamp())` of the key the
 * generation's memberMtimeKey names (`created` itself, or the conf's `mtime`).
 */
export function imageTimes(conf: ImageConf, python: PythonVersion, clock: MicrosecondClock): { created: PyDateTime; mtime: bigint } {
  // The current script reads the clock once: "now" in created and in mtime is one instant.
  const instant = clock();
  const now: MicrosecondClock = () => instant;
  const created = parseTimeKey("created", conf.created, python, now);
  const key = generationRules(conf.generation).memberMtimeKey;
  const mtime = timestampSeconds(key === "created" ? created : parseTimeKey(key, currentKeysOf(conf).mtime, python, now));
  return { created, mtime };
}
