/**
 * What stream_layered_image.py does with the conf's "created":
 *
 *     created = datetime.now(tz=timezone.utc) if conf["created"] == "now"
 *               else datetime.fromisoformat(conf["created"])
 *     mtime = int(created.timestamp())
 *     ... "created": datetime.isoformat(created)
 *
 * reproduced for a chosen CPython version (the accepted strings differ
 * between 3.8-3.10 and 3.11+) and for the process's TZ (naive times).
 */
import { fromIsoFormat } from "./fromisoformat.ts";
import { type PyDateTime, checkedDateTime } from "./datetime-value.ts";
import { ordinalToYmd } from "./datetime-calendar.ts";
import type { PythonVersion } from "../version.ts";

export type { PyDateTime, PyTimedelta } from "./datetime-value.ts";
export { timedeltaMicroseconds } from "./datetime-value.ts";
export {
  DateTimeRangeError,
  InvalidIsoFormatError,
  PyDateTimeError,
  UtcOffsetRangeError,
} from "./datetime-errors.ts";
export { isoformat } from "./isoformat.ts";
export { timestampSeconds } from "./timestamp.ts";
export { type LocalTimeZone, resolveLocalTimeZone } from "./localtime.ts";
export { fromIsoFormat };

/** Microseconds since the Unix epoch, now, from the system (wall) clock. */
export type MicrosecondClock = () => bigint;

/**
 * The wall clock with microseconds.  Date.now() has only milliseconds;
 * performance.timeOrigin + performance.now() has sub-millisecond resolution
 * but drifts if the system clock is stepped, so it is used only while it
 * agrees with Date.now() to the millisecond.  Rounded down like CPython's
 * `datetime.now()` (_PyTime_ROUND_FLOOR).
 */
export const systemClock: MicrosecondClock = () => {
  const ms = Date.now();
  const fine = performance.timeOrigin + performance.now();
  const us = Math.abs(fine - ms) < 1 ? Math.floor(fine * 1000) : ms * 1000;
  return BigInt(us);
};

/** `datetime.fromtimestamp(us / 1e6, timezone.utc)` for an exact µs count. */
function utcFromMicroseconds(us: bigint): PyDateTime {
  const day = 86_400_000_000n;
  let days = us / day;
  let rest = us % day;
  if (rest < 0n) {
    days -= 1n;
    rest += day;
  }
  const { year, month, day: d } = ordinalToYmd(Number(days) + 719_163);
  const r = Number(rest);
  return checkedDateTime({
    year,
    month,
    day: d,
    hour: Math.floor(r / 3_600_000_000),
    minute: Math.floor(r / 60_000_000) % 60,
    second: Math.floor(r / 1_000_000) % 60,
    microsecond: r % 1_000_000,
    utcoffset: { days: 0, seconds: 0, microseconds: 0 },
  });
}

/**
 * The script's `created`: "now" is the current UTC time (aware, with
 * microseconds); anything else is `datetime.fromisoformat(value)` of the
 * given CPython version, throwing InvalidIsoFormatError,
 * UtcOffsetRangeError or DateTimeRangeError with CPython's message.
 */
export function parseCreated(value: string, python: PythonVersion, now: MicrosecondClock = systemClock): PyDateTime {
  if (value === "now") return utcFromMicroseconds(now());
  return fromIsoFormat(value, python);
}
