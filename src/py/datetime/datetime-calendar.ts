/**
 * Proleptic Gregorian calendar arithmetic as CPython's C `_datetime` module
 * does it.  Ordinal 1 is 0001-01-01.  The functions deliberately keep C's
 * truncating `/` and `%` (JavaScript's `%` already truncates), because
 * 3.11+'s `fromisoformat` feeds them year 0 (ISO week dates such as
 * `0000-W01-1`), where the C code silently produces out-of-range months that
 * then surface as "month must be in 1..12".
 */

/** `_days_in_month`, 1-based; index 0 is the C table's unused slot. */
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
/** `_days_before_month`, 1-based; index 0 is the C table's unused slot. */
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

const DI400Y = 146097;
const DI100Y = 36524;
const DI4Y = 1461;

/** Gregorian leap year (C casts to unsigned first; same result for year >= 0). */
export function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Table lookup that, like an out-of-bounds C read we cannot know, yields 0. */
function tableAt(table: readonly number[], index: number): number {
  return table[index] ?? 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return tableAt(DAYS_IN_MONTH, month);
}

function daysBeforeMonth(year: number, month: number): number {
  return tableAt(DAYS_BEFORE_MONTH, month) + (month > 2 && isLeap(year) ? 1 : 0);
}

/** Days before January 1st of `year`; C's formula (truncating for year 0). */
function daysBeforeYear(year: number): number {
  const y = year - 1;
  return y * 365 + Math.trunc(y / 4) - Math.trunc(y / 100) + Math.trunc(y / 400);
}

export function ymdToOrdinal(year: number, month: number, day: number): number {
  return daysBeforeYear(year) + daysBeforeMonth(year, month) + day;
}

export interface Ymd {
  year: number;
  month: number;
  day: number;
}

/**
 * Inverse of `ymdToOrdinal` with C `ord_to_ymd` semantics, including what it
 * does for ordinals < 1 (month comes out <= 0, which the caller's range check
 * reports before looking at the day).
 */
export function ordinalToYmd(ordinal: number): Ymd {
  let n = ordinal - 1;
  const n400 = Math.trunc(n / DI400Y);
  n %= DI400Y;
  let year = n400 * 400 + 1;
  const n100 = Math.trunc(n / DI100Y);
  n %= DI100Y;
  const n4 = Math.trunc(n / DI4Y);
  n %= DI4Y;
  const n1 = Math.trunc(n / 365);
  n %= 365;
  year += n100 * 100 + n4 * 4 + n1;
  if (n1 === 4 || n100 === 4) return { year: year - 1, month: 12, day: 31 };
  const leap = n1 === 3 && (n4 !== 24 || n100 === 3);
  // The C code estimates the month with an arithmetic shift, exact or one too big.
  let month = (n + 50) >> 5;
  let preceding = tableAt(DAYS_BEFORE_MONTH, month) + (month > 2 && leap ? 1 : 0);
  if (preceding > n) {
    month -= 1;
    preceding -= daysInMonth(year, month);
  }
  return { year, month, day: n - preceding + 1 };
}

/** Ordinal of the Monday starting ISO week 1 of `year` (C `iso_week1_monday`). */
function isoWeek1Monday(year: number): number {
  const firstDay = ymdToOrdinal(year, 1, 1);
  const firstWeekday = (firstDay + 6) % 7;
  let monday = firstDay - firstWeekday;
  if (firstWeekday > 3) monday += 7;
  return monday;
}

/**
 * C `iso_to_ymd` as used by 3.11+'s `fromisoformat`: 0 on success, -2 for a
 * bad week, -3 for a bad weekday, -4 for a year outside 1..9999 (a check
 * 3.13 added; 3.11/3.12 let year 0 through and fail later).
 */
export function isoToYmd(
  isoYear: number,
  isoWeek: number,
  isoDay: number,
  checkYear: boolean,
): { rc: 0; ymd: Ymd } | { rc: -2 | -3 | -4 } {
  if (checkYear && (isoYear < 1 || isoYear > 9999)) return { rc: -4 };
  if (isoWeek <= 0 || isoWeek >= 53) {
    let outOfRange = true;
    if (isoWeek === 53) {
      // 53-week years start on a Thursday, or on a Wednesday in leap years.
      const firstWeekday = (ymdToOrdinal(isoYear, 1, 1) + 6) % 7;
      if (firstWeekday === 3 || (firstWeekday === 2 && isLeap(isoYear))) outOfRange = false;
    }
    if (outOfRange) return { rc: -2 };
  }
  if (isoDay <= 0 || isoDay >= 8) return { rc: -3 };
  const ordinal = isoWeek1Monday(isoYear) + (isoWeek - 1) * 7 + isoDay - 1;
  return { rc: 0, ymd: ordinalToYmd(ordinal) };
}
