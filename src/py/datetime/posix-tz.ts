/**
 * POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "UTC0") read
 * the way glibc (2.36, tzset.c) reads them: `__tzset_parse_tz` into two
 * `tz_rule`s; posix-tz-offset.ts applies them.  Used for a TZ variable that
 * names no zone file, and for the footer of a TZif file after its last
 * transition.  Only UTC offsets are kept; zone abbreviations play no part
 * in `datetime.timestamp()`.
 *
 * glibc quirk reproduced on purpose: unparsable input leaves the rules
 * half-filled, and whatever is left is used (e.g. "Foo/Bar" is UTC; "EST5 "
 * is mostly UTC, not EST).
 */

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
    if (!parseJulianDay(c, rule, first === "J")) return false;
  } else if (first === "M") {
    if (!parseMonthWeekDay(c, rule)) return false;
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
  return parseRuleTime(c, rule);
}

/** A "Jn" (1-365, February 29th never counted) or "n" (0-365) day; false where glibc stops. */
function parseJulianDay(c: Cursor, rule: TzRule, leapless: boolean): boolean {
  rule.type = leapless ? "J1" : "J0";
  if (leapless) {
    c.i++;
    if (!isDigit(c.at())) return false;
  }
  let k = c.i;
  let d = 0;
  while (isDigit(c.s[k] ?? "\0") && d <= 365) d = d * 10 + (c.s.charCodeAt(k++) - 48);
  while (isDigit(c.s[k] ?? "\0")) k++; // strtoul reads them all; d > 365 anyway
  if (d > 365) return false;
  if (leapless && d === 0) return false;
  rule.d = d;
  c.i = k;
  return true;
}

/** An "Mm.n.d" rule (month, week, weekday); false where glibc stops, with the fields it assigned kept. */
function parseMonthWeekDay(c: Cursor, rule: TzRule): boolean {
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
  return true;
}

/** The optional "/[-]hh[:mm[:ss]]" after a rule's date (default 02:00); false on a "/" with nothing after it. */
function parseRuleTime(c: Cursor, rule: TzRule): boolean {
  if (c.at() !== "/") {
    rule.secs = 2 * 3600;
    return true;
  }
  c.i++;
  if (c.at() === "\0") return false;
  const negative = c.at() === "-";
  if (negative) c.i++;
  const r = scanHms(c.s, c.i);
  const [hh = 2, mm = 0, ss = 0] = r?.fields ?? [];
  if (r !== null) c.i = r.end;
  rule.secs = (negative ? -1 : 1) * (hh * 3600 + mm * 60 + ss);
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
