/**
 * `datetime.fromisoformat` of CPython 3.8-3.10 (the C `_datetime` module):
 * it only promises to read what `isoformat()` writes, and its exact accepted
 * language is defined by these few C routines, reproduced step by step:
 *   YYYY-MM-DD, then (if more text) any ONE character as separator, then
 *   HH[:MM[:SS[.fff|.ffffff]]] and an optional offset +HH:MM[:SS[.ffffff]]
 *   whose total length (sign included) is 6, 9 or 16.
 * Quirks kept on purpose: a third ':' instead of '.' before the fraction is
 * accepted ("12:00:00:123"), an embedded NUL ends the text early, a
 * multi-byte separator is skipped by the width its lead byte announces.
 */
import { type CBytes, ch, type Hmsf, parseDigits, type RawIsoFields, separatorWidth } from "./datetime-cbytes.ts";

/** C `parse_isoformat_date`: 0, or -1 (digits) / -2 (separator). */
function parseDate(s: CBytes, out: RawIsoFields): number {
  const y = parseDigits(s, 0, 4);
  if (y === null) return -1;
  out.year = y.value;
  if (s.at(y.pos) !== ch("-")) return -2;
  const m = parseDigits(s, y.pos + 1, 2);
  if (m === null) return -1;
  out.month = m.value;
  if (s.at(m.pos) !== ch("-")) return -2;
  const d = parseDigits(s, m.pos + 1, 2);
  if (d === null) return -1;
  out.day = d.value;
  return 0;
}

/**
 * C `parse_hh_mm_ss_ff` (3.7-3.10) over [start, end): returns -3/-4 on
 * failure, else 1 when the byte at the stop position is not NUL.
 */
function parseHhMmSsFf(s: CBytes, start: number, end: number, out: Hmsf): number {
  let p = start;
  const keys = ["hour", "minute", "second"] as const;
  for (const key of keys) {
    const r = parseDigits(s, p, 2, out[key]);
    if (r === null) return -3;
    out[key] = r.value;
    p = r.pos;
    const c = s.at(p++);
    if (p >= end) return c !== 0 ? 1 : 0;
    if (c === ch(":")) continue;
    if (c === ch(".")) break;
    return -4;
  }
  // Exactly 3 or 6 fraction digits, nothing else, up to `end`.
  const remains = end - p;
  if (remains !== 6 && remains !== 3) return -3;
  const f = parseDigits(s, p, remains, out.microsecond);
  if (f === null) return -3;
  out.microsecond = remains === 3 ? f.value * 1000 : f.value;
  return s.at(f.pos) !== 0 ? 1 : 0;
}

/** C `parse_isoformat_time`: 0 (naive), 1 (with offset) or negative. */
function parseTime(s: CBytes, start: number, length: number, out: RawIsoFields): number {
  const end = start + length;
  // The offset starts at the first '+' or '-'; the C do/while examines the
  // first byte even when the time text is empty.
  let tz = start;
  do {
    const c = s.at(tz);
    if (c === ch("+") || c === ch("-")) break;
  } while (++tz < end);

  const rv = parseHhMmSsFf(s, start, tz, out);
  if (rv < 0) return rv;
  if (tz === end) return rv === 1 ? -5 : 0;

  const tzLength = end - tz;
  if (tzLength !== 6 && tzLength !== 9 && tzLength !== 16) return -5;
  const sign = s.at(tz) === ch("-") ? -1 : 1;
  const off: Hmsf = { hour: 0, minute: 0, second: 0, microsecond: 0 };
  const rvTz = parseHhMmSsFf(s, tz + 1, end, off);
  out.tzSeconds = sign * (off.hour * 3600 + off.minute * 60 + off.second);
  out.tzMicroseconds = sign * off.microsecond;
  return rvTz !== 0 ? -5 : 1;
}

/** Parse the UTF-8 text; null means "Invalid isoformat string". */
export function parseIsoLegacy(s: CBytes): RawIsoFields | null {
  const out: RawIsoFields = {
    year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0,
    hasOffset: false, tzSeconds: 0, tzMicroseconds: 0,
  };
  let rv = parseDate(s, out);
  if (rv === 0 && s.length > 10) {
    // Any single character separates date and time.
    const p = 10 + separatorWidth(s.at(10));
    rv = parseTime(s, p, s.length - p, out);
  }
  if (rv < 0) return null;
  out.hasOffset = rv === 1;
  return out;
}
