/**
 * The image's times: `created` parsed as the script parses it (with the
 * chosen CPython's fromisoformat and local time zone), and every member's
 * mtime, a bad value being a ConfError that names the key.
 */
import type { ImageConf } from "../conf/validate.ts";
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
 * `created`, and the members' mtime: `int(created.timestamp())` for the
 * 2020 script, the conf's `mtime` key for the current one.
 */
export function imageTimes(conf: ImageConf, python: PythonVersion, clock: MicrosecondClock): { created: PyDateTime; mtime: bigint } {
  // The current script reads the clock once: "now" in created and in mtime is one instant.
  const instant = clock();
  const now: MicrosecondClock = () => instant;
  const created = parseTimeKey("created", conf.created, python, now);
  // The 2020 script's members take created's time; the current one's, mtime's.
  const mtime = timestampSeconds(conf.current === undefined ? created : parseTimeKey("mtime", conf.current.mtime, python, now));
  return { created, mtime };
}
