/**
 * A parsed POSIX TZ string (posix-tz.ts) applied the way glibc (2.36,
 * tzset.c) does: `compute_change` (the instant each rule switches in a
 * year) and `__tz_compute` (the UTC offset and isdst at an instant).
 *
 * glibc quirks reproduced on purpose:
 *  - a rule's change instants for any year <= 1970 are computed from
 *    1970-01-01, so older dates never see DST on a northern-hemisphere rule;
 *  - the rules of the UTC year (not the local year) decide DST.
 * Not reproduced: glibc caches each rule's change per year and, for a rule
 * that failed to parse, treats year 0 as already computed (change 0); only
 * a malformed TZ string at an instant in UTC year 0 could tell.
 */
import type { PosixTz, TzRule } from "./posix-tz.ts";

const SECS_PER_DAY = 86400;

/** Whether `year` is a Gregorian leap year. */
const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/**
 * glibc `__mon_yday` as the flat [2][13] array it is in memory, so that the
 * out-of-range month of a half-parsed "M" rule reads the neighbouring row
 * as glibc would; reads outside the array give 0 (truly undefined in C).
 */
const MON_YDAY = [
  0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365,
  0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366,
];
const monYday = (leap: boolean, index: number): number => MON_YDAY[(leap ? 13 : 0) + index] ?? 0;

/** C division truncating toward zero. */
const cdiv = (a: number, b: number): number => Math.trunc(a / b);

/** glibc `compute_change`: the UTC instant the rule switches in `year`. */
function computeChange(rule: TzRule, year: number): number {
  let t = 0;
  if (year > 1970) {
    t =
      ((year - 1970) * 365 +
        (cdiv(year - 1, 4) - cdiv(1970, 4)) -
        (cdiv(year - 1, 100) - cdiv(1970, 100)) +
        (cdiv(year - 1, 400) - cdiv(1970, 400))) *
      SECS_PER_DAY;
  }
  const leap = isLeap(year);
  switch (rule.type) {
    case "J1":
      t += (rule.d - 1) * SECS_PER_DAY;
      if (rule.d >= 60 && leap) t += SECS_PER_DAY;
      break;
    case "J0":
      t += rule.d * SECS_PER_DAY;
      break;
    case "M": {
      t += monYday(leap, rule.m - 1) * SECS_PER_DAY;
      // Zeller's congruence: weekday of the 1st of the month.
      const m1 = ((rule.m + 9) % 12) + 1;
      const yy0 = rule.m <= 2 ? year - 1 : year;
      const yy1 = cdiv(yy0, 100);
      const yy2 = yy0 % 100;
      let dow = (cdiv(26 * m1 - 2, 10) + 1 + yy2 + cdiv(yy2, 4) + cdiv(yy1, 4) - 2 * yy1) % 7;
      if (dow < 0) dow += 7;
      let d = rule.wday - dow;
      if (d < 0) d += 7;
      const monthDays = monYday(leap, rule.m) - monYday(leap, rule.m - 1);
      for (let i = 1; i < rule.n; i++) {
        if (d + 7 >= monthDays) break;
        d += 7;
      }
      t += d * SECS_PER_DAY;
      break;
    }
  }
  return t - rule.offset + rule.secs;
}

/** UTC calendar year of an epoch second (glibc `__offtime(t, 0)`'s tm_year). */
export function utcYear(t: number): number {
  const days = Math.floor(t / SECS_PER_DAY);
  // Civil-from-days (Gregorian, proleptic, valid for negative days too).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}

/** glibc `__tz_compute`: { UTC offset in seconds, isdst } at epoch second t. */
export function posixTzOffset(tz: PosixTz, t: number): { offset: number; isdst: boolean } {
  const year = utcYear(t);
  const [std, dst] = tz.rules;
  const startDst = computeChange(std, year);
  const endDst = computeChange(dst, year);
  // Southern hemisphere: DST spans the new year.
  const isdst = startDst > endDst ? t < endDst || t >= startDst : t >= startDst && t < endDst;
  return { offset: isdst ? dst.offset : std.offset, isdst };
}
