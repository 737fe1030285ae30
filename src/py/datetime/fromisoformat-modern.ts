/**
 * `datetime.fromisoformat` of CPython 3.11-3.13 (the C `_datetime` module),
 * which reads "most" of ISO 8601: basic and extended dates, ISO week dates
 * (no ordinal dates), any separator character, HH[[:]MM[[:]SS]], fractions of
 * any length after '.' or ',' (truncated to microseconds), and offsets 'Z' or
 * +HH[[:]MM[[:]SS[.f...]]].  The accepted language is whatever these C
 * routines accept, so they are reproduced step by step, quirks included:
 *   - the date/time separator position is guessed from a few characters
 *     (7, 8 or 10) and the date parser does not check that it stopped there;
 *   - "HHMMSS" followed by more digits reads them as a fraction
 *     ("12000012" is 12:00:00.12), and a third ':' acts as a decimal point;
 *   - an embedded NUL ends the text.
 */
import { isoToYmd } from "./datetime-calendar.ts";
import { type CBytes, ch, type Hmsf, parseDigits, type RawIsoFields, separatorWidth } from "./datetime-cbytes.ts";

/** C `_find_isoformat_datetime_separator`; -1 when it gives up. */
function findSeparator(s: CBytes): number {
  const len = s.length;
  if (len === 7) return 7;
  if (s.at(4) === ch("-")) {
    if (s.at(5) !== ch("W")) return 10; // YYYY-MM-DD
    if (len < 8) return -1;
    if (len > 8 && s.at(8) === ch("-")) {
      // YYYY-Www-D (separator at 10) or YYYY-Www-HH with '-' as separator.
      if (len === 9) return -1;
      if (len > 10 && s.isDigit(10)) return 8;
      return 10;
    }
    return 8; // YYYY-Www
  }
  if (s.at(4) === ch("W")) {
    // YYYYWww or YYYYWwwd: count the digits from index 7.
    let idx = 7;
    while (idx < len && s.isDigit(idx)) idx++;
    if (idx < 9) return idx;
    return idx % 2 === 0 ? 7 : 8;
  }
  return 8; // YYYYMMDD
}

/** C `parse_isoformat_date` (3.11+): 0 or a negative code. */
function parseDate(s: CBytes, dateLength: number, checkIsoYear: boolean, out: RawIsoFields): number {
  const y = parseDigits(s, 0, 4);
  if (y === null) return -1;
  out.year = y.value;
  let p = y.pos;
  const usesSeparator = s.at(p) === ch("-");
  if (usesSeparator) p++;

  if (s.at(p) === ch("W")) {
    const w = parseDigits(s, p + 1, 2);
    if (w === null) return -3;
    p = w.pos;
    let isoDay = 1;
    // The C code compares as size_t, so a separator position of -1 is "huge".
    if (dateLength < 0 || p < dateLength) {
      if (usesSeparator && s.at(p++) !== ch("-")) return -2;
      const d = parseDigits(s, p, 1);
      if (d === null) return -4;
      isoDay = d.value;
    }
    const r = isoToYmd(out.year, w.value, isoDay, checkIsoYear);
    if (r.rc !== 0) return -3 + r.rc;
    out.year = r.ymd.year;
    out.month = r.ymd.month;
    out.day = r.ymd.day;
    return 0;
  }

  const m = parseDigits(s, p, 2);
  if (m === null) return -1;
  out.month = m.value;
  p = m.pos;
  if (usesSeparator && s.at(p++) !== ch("-")) return -2;
  const d = parseDigits(s, p, 2);
  if (d === null) return -1;
  out.day = d.value;
  return 0;
}

/** Scale of a fraction with fewer than 6 digits (C `correction`). */
const CORRECTION = [100000, 10000, 1000, 100, 10] as const;

/**
 * C `parse_hh_mm_ss_ff` (3.11+) over [start, end): -3/-4 on failure, else 1
 * when the byte where parsing stopped is not NUL.  Resets `out` first.
 */
function parseHhMmSsFf(s: CBytes, start: number, end: number, out: Hmsf): number {
  out.hour = out.minute = out.second = out.microsecond = 0;
  let p = start;
  let hasSeparator = true;
  const keys = ["hour", "minute", "second"] as const;
  for (let i = 0; i < keys.length; i++) {
    const r = parseDigits(s, p, 2);
    if (r === null) return -3;
    out[keys[i]!] = r.value;
    p = r.pos;
    const c = s.at(p++);
    if (i === 0) hasSeparator = c === ch(":");
    if (p >= end) return c !== 0 ? 1 : 0;
    if (hasSeparator && c === ch(":")) continue;
    if (c === ch(".") || c === ch(",")) break;
    if (!hasSeparator) p--;
    else return -4;
  }
  // Fraction: up to 6 digits are significant, further digits are skipped.
  const toParse = Math.min(end - p, 6);
  const f = parseDigits(s, p, toParse);
  if (f === null) return -3;
  out.microsecond = toParse < 6 ? f.value * (CORRECTION[toParse - 1] ?? 0) : f.value;
  p = f.pos;
  while (s.isDigit(p)) p++;
  return s.at(p) !== 0 ? 1 : 0;
}

/** C `parse_isoformat_time` (3.11+): 0 (naive), 1 (offset) or negative. */
function parseTime(s: CBytes, start: number, length: number, out: RawIsoFields): number {
  const end = start + length;
  let tz = start;
  do {
    const c = s.at(tz);
    if (c === ch("Z") || c === ch("+") || c === ch("-")) break;
  } while (++tz < end);

  const rv = parseHhMmSsFf(s, start, tz, out);
  if (rv < 0) return rv;
  if (tz === end) return rv === 1 ? -5 : 0;

  if (s.at(tz) === ch("Z")) {
    out.tzSeconds = 0;
    out.tzMicroseconds = 0;
    return s.at(tz + 1) !== 0 ? -5 : 1;
  }
  const sign = s.at(tz) === ch("-") ? -1 : 1;
  const off: Hmsf = { hour: 0, minute: 0, second: 0, microsecond: 0 };
  const rvTz = parseHhMmSsFf(s, tz + 1, end, off);
  out.tzSeconds = sign * (off.hour * 3600 + off.minute * 60 + off.second);
  out.tzMicroseconds = sign * off.microsecond;
  return rvTz !== 0 ? -5 : 1;
}

/**
 * Parse the UTF-8 text; null means "Invalid isoformat string".
 * `checkIsoYear`: 3.13 rejects ISO week dates in year 0000 as invalid
 * strings, 3.11/3.12 compute a date from them anyway.
 */
export function parseIsoModern(s: CBytes, checkIsoYear: boolean): RawIsoFields | null {
  const out: RawIsoFields = {
    year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0,
    hasOffset: false, tzSeconds: 0, tzMicroseconds: 0,
  };
  const sep = findSeparator(s);
  let rv = parseDate(s, sep, checkIsoYear, out);
  if (rv === 0 && s.length > sep) {
    const p = sep + separatorWidth(s.at(sep));
    rv = parseTime(s, p, s.length - p, out);
  }
  if (rv < 0) return null;
  out.hasOffset = rv === 1;
  return out;
}
