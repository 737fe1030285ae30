/** `datetime.isoformat()` with its defaults (sep 'T', timespec 'auto'). */
import type { PyDateTime, PyTimedelta } from "./datetime-value.ts";

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/**
 * C `format_utcoffset` with ':' separators: +HH:MM, plus :SS when the
 * offset has seconds, plus .ffffff when it has microseconds.  UTC is
 * "+00:00", never "Z".
 */
function formatUtcOffset(offset: PyTimedelta): string {
  let { days, seconds, microseconds } = offset;
  let sign = "+";
  if (days < 0) {
    // Negate the normalized timedelta: -(days, s, us) renormalized.
    sign = "-";
    const total = -((days * 86400 + seconds) * 1_000_000 + microseconds);
    days = 0;
    seconds = Math.floor(total / 1_000_000);
    microseconds = total - seconds * 1_000_000;
  }
  const minutesTotal = Math.floor(seconds / 60);
  const ss = seconds % 60;
  const hh = Math.floor(minutesTotal / 60);
  const mm = minutesTotal % 60;
  const base = `${sign}${pad(hh, 2)}:${pad(mm, 2)}`;
  if (microseconds !== 0) return `${base}:${pad(ss, 2)}.${pad(microseconds, 6)}`;
  if (ss !== 0) return `${base}:${pad(ss, 2)}`;
  return base;
}

export function isoformat(dt: PyDateTime): string {
  let out =
    `${pad(dt.year, 4)}-${pad(dt.month, 2)}-${pad(dt.day, 2)}` +
    `T${pad(dt.hour, 2)}:${pad(dt.minute, 2)}:${pad(dt.second, 2)}`;
  // Microseconds only when non-zero, then always six digits.
  if (dt.microsecond !== 0) out += `.${pad(dt.microsecond, 6)}`;
  if (dt.utcoffset !== null) out += formatUtcOffset(dt.utcoffset);
  return out;
}
