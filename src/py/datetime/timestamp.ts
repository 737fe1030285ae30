/**
 * `int(dt.timestamp())` as CPython's C `_datetime` computes it.
 *
 * Aware: `(dt - EPOCH).total_seconds()`, i.e. an exact integer count of
 * microseconds true-divided by 10**6 (int/int division, correctly rounded
 * to a double), then truncated toward zero by int().
 *
 * Naive: `local_to_seconds()` solves "local(u) == wall time" through the
 * C library's localtime, honouring fold for gaps and repeated hours; then
 * `seconds - EPOCH + microsecond / 1e6` in double precision, truncated.
 */
import { ordinalToYmd, ymdToOrdinal } from "./datetime-calendar.ts";
import { DateTimeRangeError } from "./datetime-errors.ts";
import { type PyDateTime, timedeltaMicroseconds } from "./datetime-value.ts";
import { type LocalTimeZone, processLocalTimeZone } from "./localtime.ts";

/**
 * C `epoch`: 1970-01-01 in the module's seconds scale, which counts from
 * ordinal 0 (0000-12-31T00:00), since ordinal 1 is 0001-01-01.
 */
const EPOCH_SECONDS = 719_163 * 86_400;
/** C `max_fold_seconds`: how far local_to_seconds probes for another offset. */
const MAX_FOLD_SECONDS = 24 * 3600;

const EXACT_IN_DOUBLE = 2n ** 53n;

/** The double nearest to n / d (ties to even), for d > 0: Python's int/int `/`. */
export function trueDivide(n: bigint, d: bigint): number {
  const negative = n < 0n;
  const a = negative ? -n : n;
  // Both operands exact in a double: IEEE division is correctly rounded.
  if (a <= EXACT_IN_DOUBLE && d <= EXACT_IN_DOUBLE) return Number(n) / Number(d);
  // Scale so the quotient has well over 53 significant bits, then round
  // the integer quotient to 53 bits by hand, the remainder acting as sticky.
  const shift = BigInt(Math.max(0, 2 * 64 - (a.toString(2).length - d.toString(2).length)));
  const scaled = a << shift;
  const q = scaled / d;
  const sticky = scaled % d !== 0n;
  const extra = BigInt(q.toString(2).length - 53);
  let m = q >> extra;
  const dropped = q - (m << extra);
  const half = 1n << (extra - 1n);
  if (dropped > half || (dropped === half && (sticky || (m & 1n) === 1n))) m += 1n;
  // m has at most 54 bits and the power of two is exact: no double rounding.
  const value = Number(m) * 2 ** Number(extra - shift);
  return negative ? -value : value;
}

/** C `utc_to_seconds`: a broken-down time in seconds since ordinal 0. */
function utcToSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (y < 1 || y > 9999) throw new DateTimeRangeError(`year ${y} is out of range`);
  return ((ymdToOrdinal(y, mo, d) * 24 + h) * 60 + mi) * 60 + s;
}

/**
 * C `local(u)`: the wall clock at instant u (seconds since ordinal 0, UTC)
 * re-read as if it were UTC.  glibc breaks `t + gmtoff - leap correction`
 * down and adds inserted leap seconds to tm_sec; Python's year check then
 * rejects wall times outside years 1..9999.
 */
function local(zone: LocalTimeZone, u: number): number {
  const t = u - EPOCH_SECONDS;
  const { gmtoff, leapCorrection, leapHit } = zone.lookup(t);
  const wall = t + gmtoff - leapCorrection + EPOCH_SECONDS;
  // utc_to_seconds counts from ordinal 0, so whole days are the ordinal.
  const ordinal = Math.floor(wall / 86_400);
  const { year, month, day } = ordinalToYmd(ordinal);
  const rest = wall - ordinal * 86_400;
  // Ordinals < 1 (year 0 and before) make ordinalToYmd yield nonsense
  // months, but the year check throws first, on the true year.
  const trueYear = ordinal >= 1 ? year : proleptic(ordinal);
  return utcToSeconds(trueYear, month, day, Math.floor(rest / 3600), Math.floor(rest / 60) % 60, rest % 60) + leapHit;
}

/** Proleptic Gregorian year of an ordinal < 1 (glibc handles those years fine). */
function proleptic(ordinal: number): number {
  let year = 0;
  let start = ymdToOrdinalFloor(year);
  while (ordinal < start) start = ymdToOrdinalFloor(--year);
  return year;
}

/** Ordinal of January 1st of a year <= 0, with floor division. */
function ymdToOrdinalFloor(year: number): number {
  const y = year - 1;
  return y * 365 + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + 1;
}

/** C `local_to_seconds`: the instant whose wall time is the given one. */
function localToSeconds(zone: LocalTimeZone, dt: PyDateTime): number {
  const t = utcToSeconds(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second);
  const a = local(zone, t) - t;
  const u1 = t - a;
  const t1 = local(zone, u1);
  let b: number;
  if (t1 === t) {
    // One solution found; look for another offset a day away (earlier for
    // fold=0, later for fold=1) to detect a repeated wall time.
    const probe = dt.fold ? u1 + MAX_FOLD_SECONDS : u1 - MAX_FOLD_SECONDS;
    b = local(zone, probe) - probe;
    if (a === b) return u1;
  } else {
    b = t1 - u1;
  }
  const u2 = t - b;
  const t2 = local(zone, u2);
  if (t2 === t) return u2;
  if (t1 === t) return u1;
  // Neither offset reproduces the wall time: it is in a gap.
  return dt.fold ? Math.min(u1, u2) : Math.max(u1, u2);
}

/**
 * `int(dt.timestamp())`.  Naive datetimes are read in `zone` (default: the
 * process's TZ, resolved like glibc).  Throws DateTimeRangeError where
 * CPython raises ValueError("year N is out of range").
 */
export function timestampSeconds(dt: PyDateTime, zone?: LocalTimeZone): bigint {
  if (dt.utcoffset !== null) {
    const wallUs =
      BigInt(ymdToOrdinal(dt.year, dt.month, dt.day) - 719_163) * 86_400_000_000n +
      BigInt(((dt.hour * 60 + dt.minute) * 60 + dt.second) * 1_000_000 + dt.microsecond);
    const us = wallUs - timedeltaMicroseconds(dt.utcoffset);
    return BigInt(Math.trunc(trueDivide(us, 1_000_000n)));
  }
  const seconds = localToSeconds(zone ?? processLocalTimeZone(), dt);
  // C: PyFloat_FromDouble(seconds - EPOCH_SECONDS + us / 1e6), then int().
  return BigInt(Math.trunc(seconds - EPOCH_SECONDS + dt.microsecond / 1e6));
}
