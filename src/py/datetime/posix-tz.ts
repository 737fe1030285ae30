/**
 * POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "UTC0") read
 * and applied the way glibc (2.36, tzset.c) does: `__tzset_parse_tz`,
 * `compute_change` and `__tz_compute`.  Used for a TZ variable that names no
 * zone file, and for the footer of a TZif file after its last transition.
 * Only UTC offsets are computed; zone abbreviations play no part in
 * `datetime.timestamp()`.
 *
 * glibc quirks reproduced on purpose:
 *  - unparsable input leaves the rules half-filled, and whatever is left is
 *    used (e.g. "Foo/Bar" is UTC; "EST5 " is mostly UTC, not EST);
 *  - a rule's change instants for any year <= 1970 are computed from
 *    1970-01-01, so older dates never see DST on a northern-hemisphere rule;
 *  - the rules of the UTC year (not the local year) decide DST.
 * Not reproduced: glibc caches each rule's change per year and, for a rule
 * that failed to parse, treats year 0 as already computed (change 0); only
 * a malformed TZ string at an instant in UTC year 0 could tell.
 */

const SECS_PER_DAY = 86400;

type RuleType = "J0" | "J1" | "M";

/** One glibc `tz_rule`; fields start zeroed as after glibc's memset. */
export interface TzRule {
  offset: number;
  type: RuleType;
  /** Day for J0/J1. */
  d: number;
  m: number;
  n: number;
  /** Day of week for M rules (glibc stores it in `d` as well). */
  wday: number;
  secs: number;
}

export interface PosixTz {
  readonly rules: [TzRule, TzRule];
  /**
   * Set when the string named a DST zone but gave no rules ("EST5EDT",
   * "AAA3BBB,"): glibc then borrows the transitions of the `posixrules`
   * file (see `__tzfile_default`), which the caller must try first.
   */
  readonly wantsDefaultRules: boolean;
}

const newRule = (): TzRule => ({ offset: 0, type: "J0", d: 0, m: 0, n: 0, wday: 0, secs: 0 });

/** A cursor over the TZ string, with C's NUL-at-the-end. */
class Cursor {
  readonly s: string;
  i: number;
  constructor(s: string, i = 0) {
    this.s = s;
    this.i = i;
  }
  at(k = 0): string {
    return this.s[this.i + k] ?? "\0";
  }
}

const isAlpha = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isSpace = (c: string): boolean => c === " " || (c >= "\t" && c <= "\r");

/**
 * One glibc scanf `%hu` at index i: skips white space, takes an optional
 * sign and at least one digit; the value is strtoul's (negated modulo 2^64
 * for '-', ULONG_MAX on overflow) cut to unsigned short.
 */
function scanHu(s: string, i: number): { value: number; end: number } | null {
  let k = i;
  while (k < s.length && isSpace(s[k]!)) k++;
  let negative = false;
  if (s[k] === "+" || s[k] === "-") negative = s[k++] === "-";
  const startDigits = k;
  let v = 0n;
  while (k < s.length && isDigit(s[k]!)) v = v * 10n + BigInt(s.charCodeAt(k++) - 48);
  if (k === startDigits) return null;
  if (v > 0xffff_ffff_ffff_ffffn) v = 0xffff_ffff_ffff_ffffn;
  else if (negative) v = (1n << 64n) - v;
  return { value: Number(v & 0xffffn), end: k };
}

/**
 * `sscanf(s, "%hu%n:%hu%n:%hu%n", ...)` at index i: the fields it managed to
 * assign (1 to 3) and the index after the last one, or null if none.
 */
function scanHms(s: string, i: number): { fields: number[]; end: number } | null {
  const fields: number[] = [];
  let k = i;
  for (let f = 0; f < 3; f++) {
    if (f > 0) {
      if (s[k] !== ":") break;
      k++;
    }
    const r = scanHu(s, k);
    if (r === null) break;
    fields.push(r.value);
    k = r.end;
  }
  return fields.length === 0 ? null : { fields, end: k };
}

/** glibc `parse_tzname`: 3+ letters, or <...> with 3+ of [A-Za-z0-9+-]. */
function parseTzName(c: Cursor): boolean {
  let p = c.i;
  while (isAlpha(c.s[p] ?? "\0")) p++;
  if (p - c.i >= 3) {
    c.i = p;
    return true;
  }
  p = c.i;
  if (c.s[p++] !== "<") return false;
  const start = p;
  for (;;) {
    const ch = c.s[p] ?? "\0";
    if (!(isAlpha(ch) || isDigit(ch) || ch === "+" || ch === "-")) break;
    p++;
  }
  if (c.s[p++] !== ">" || p - 1 - start < 3) return false;
  c.i = p;
  return true;
}

/** glibc `compute_offset`: fields clamped to 24 hours, 59 minutes/seconds. */
function computeOffset(fields: number[]): number {
  const [hh = 0, mm = 0, ss = 0] = fields;
  return Math.min(ss, 59) + Math.min(mm, 59) * 60 + Math.min(hh, 24) * 3600;
}

/** glibc `parse_offset`. POSIX offsets are west-positive, hence the sign flip. */
function parseOffset(c: Cursor, rules: [TzRule, TzRule], which: 0 | 1): boolean {
  const first = c.at();
  if (which === 0 && (first === "\0" || (first !== "+" && first !== "-" && !isDigit(first)))) {
    return false;
  }
  let sign = -1;
  if (first === "+" || first === "-") {
    sign = first === "-" ? 1 : -1;
    c.i++;
  }
  const r = scanHms(c.s, c.i);
  if (r !== null) {
    rules[which].offset = sign * computeOffset(r.fields);
    c.i = r.end;
  } else if (which === 0) {
    rules[0].offset = 0;
    return false;
  } else {
    // DST defaults to one hour ahead of standard time.
    rules[1].offset = rules[0].offset + 3600;
  }
  return true;
}

/** glibc `parse_rule`: a change date and optional /time; mutates as it goes. */
function parseRule(c: Cursor, rules: [TzRule, TzRule], which: 0 | 1): boolean {
  const rule = rules[which];
  if (c.at() === ",") c.i++;
  const first = c.at();
  if (first === "J" || isDigit(first)) {
    rule.type = first === "J" ? "J1" : "J0";
    if (rule.type === "J1") {
      c.i++;
      if (!isDigit(c.at())) return false;
    }
    let k = c.i;
    let d = 0;
    while (isDigit(c.s[k] ?? "\0") && d <= 365) d = d * 10 + (c.s.charCodeAt(k++) - 48);
    while (isDigit(c.s[k] ?? "\0")) k++; // strtoul reads them all; d > 365 anyway
    if (d > 365) return false;
    if (rule.type === "J1" && d === 0) return false;
    rule.d = d;
    c.i = k;
  } else if (first === "M") {
    rule.type = "M";
    // sscanf(tz, "M%hu.%hu.%hu%n", &m, &n, &d, &consumed): assigns fields
    // one by one until something fails to match.
    let k = c.i + 1;
    const targets = ["m", "n", "wday"] as const;
    let assigned = 0;
    for (const key of targets) {
      if (assigned > 0) {
        if (c.s[k] !== ".") break;
        k++;
      }
      const r = scanHu(c.s, k);
      if (r === null) break;
      rule[key] = r.value;
      k = r.end;
      assigned++;
    }
    if (assigned !== 3 || rule.m < 1 || rule.m > 12 || rule.n < 1 || rule.n > 5 || rule.wday > 6) {
      return false;
    }
    c.i = k;
  } else if (first === "\0") {
    // No rule given: glibc falls back to the US rules "M3.2.0,M11.1.0".
    rule.type = "M";
    if (which === 0) Object.assign(rule, { m: 3, n: 2, wday: 0 });
    else Object.assign(rule, { m: 11, n: 1, wday: 0 });
  } else {
    return false;
  }

  const after = c.at();
  if (after !== "\0" && after !== "/" && after !== ",") return false;
  if (after === "/") {
    c.i++;
    if (c.at() === "\0") return false;
    const negative = c.at() === "-";
    if (negative) c.i++;
    const r = scanHms(c.s, c.i);
    const [hh = 2, mm = 0, ss = 0] = r?.fields ?? [];
    if (r !== null) c.i = r.end;
    rule.secs = (negative ? -1 : 1) * (hh * 3600 + mm * 60 + ss);
  } else {
    rule.secs = 2 * 3600;
  }
  return true;
}

/** glibc `__tzset_parse_tz` (without the posixrules fallback; see wantsDefaultRules). */
export function parsePosixTz(tz: string): PosixTz {
  const rules: [TzRule, TzRule] = [newRule(), newRule()];
  const c = new Cursor(tz);
  let wantsDefaultRules = false;
  if (parseTzName(c) && parseOffset(c, rules, 0)) {
    if (c.at() !== "\0") {
      if (parseTzName(c)) {
        parseOffset(c, rules, 1);
        if (c.at() === "\0" || (c.at() === "," && c.at(1) === "\0")) wantsDefaultRules = true;
      }
      if (parseRule(c, rules, 0)) parseRule(c, rules, 1);
    } else {
      rules[1].offset = rules[0].offset;
    }
  }
  return { rules, wantsDefaultRules };
}

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
