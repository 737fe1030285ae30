/**
 * `repr(timedelta)`, which appears in the message of the timezone offset
 * range error.  (The str repr in "Invalid isoformat string: %R" is the
 * shared, version-aware `reprStr` of py/repr.ts.)
 */

/** Python's `repr(timedelta)` for a normalized (days, seconds, microseconds). */
export function pyTimedeltaRepr(days: number, seconds: number, microseconds: number): string {
  const parts: string[] = [];
  if (days !== 0) parts.push(`days=${days}`);
  if (seconds !== 0) parts.push(`seconds=${seconds}`);
  if (microseconds !== 0) parts.push(`microseconds=${microseconds}`);
  return `datetime.timedelta(${parts.length === 0 ? "0" : parts.join(", ")})`;
}
