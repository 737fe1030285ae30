/**
 * The lexical pieces of CPython's JSON scanner (Modules/_json.c): white
 * space, strings (scanstring_unicode, strict), numbers (_match_number) and
 * the literals, each read from a position of the text; and where a
 * JSONDecodeError points (its pos, lineno and colno in code points).
 * json-decode.ts puts them together into values and containers.
 */
import { intParseLimitError } from "../number-repr.ts";
import { PythonJsonError } from "../python-errors.ts";
import type { PyValue } from "../value.ts";
import type { PythonVersion } from "../version.ts";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The only characters json treats as whitespace (IS_WHITESPACE in _json.c). */
function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** The simple escapes after a backslash (everything but \u). */
const SIMPLE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x22, '"'],
  [0x5c, "\\"],
  [0x2f, "/"],
  [0x62, "\b"],
  [0x66, "\f"],
  [0x6e, "\n"],
  [0x72, "\r"],
  [0x74, "\t"],
]);

/**
 * Raised where CPython's scanner raises StopIteration(idx): no value starts
 * at idx.  json.decoder turns it into "Expecting value" at idx.
 */
export class NoValue {
  readonly idx: number;
  constructor(idx: number) {
    this.idx = idx;
  }
}

/** Index of the first non-whitespace character at or after idx. */
export function skipWhitespace(text: string, idx: number): number {
  while (idx < text.length && isJsonWhitespace(text.charCodeAt(idx))) idx++;
  return idx;
}

/** JSONDecodeError(msg, doc, pos), with pos converted to code points. */
export function jsonDecodeError(text: string, msg: string, idx: number): PythonJsonError {
  const pos = codePointOffset(text, 0, idx);
  let newlines = 0;
  let lastNewline = -1;
  for (let i = 0; i < idx; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      newlines++;
      lastNewline = i;
    }
  }
  // colno = pos - doc.rfind('\n', 0, pos), rfind giving -1 on line 1.
  const colno = lastNewline < 0 ? pos + 1 : codePointOffset(text, lastNewline, idx);
  return new PythonJsonError(msg, pos, newlines + 1, colno);
}

/**
 * Python character offset of text[from..to) counted in code points: a
 * surrogate pair is one Python character, a lone surrogate is one too.
 */
function codePointOffset(text: string, from: number, to: number): number {
  let count = to - from;
  for (let i = from + 1; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) {
      const prev = text.charCodeAt(i - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) count--;
    }
  }
  return count;
}

/** Strings, literals and numbers: the non-container branches of scan_once. */
export function scanScalar(text: string, idx: number, intMaxStrDigits: number, profile: PythonVersion): [PyValue, number] {
  switch (text.charCodeAt(idx)) {
    case QUOTE:
      return scanString(text, idx + 1);
    case 0x6e /* n */:
      if (text.startsWith("null", idx)) return [null, idx + 4];
      break;
    case 0x74 /* t */:
      if (text.startsWith("true", idx)) return [true, idx + 4];
      break;
    case 0x66 /* f */:
      if (text.startsWith("false", idx)) return [false, idx + 5];
      break;
    // parse_constant: the non-standard constants float('nan') etc.
    case 0x4e /* N */:
      if (text.startsWith("NaN", idx)) return [NaN, idx + 3];
      break;
    case 0x49 /* I */:
      if (text.startsWith("Infinity", idx)) return [Infinity, idx + 8];
      break;
    case 0x2d /* - */:
      if (text.startsWith("-Infinity", idx)) return [-Infinity, idx + 9];
      break;
  }
  return scanNumber(text, idx, intMaxStrDigits, profile);
}

/**
 * _match_number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, where a
 * '.' or exponent not followed by digits is left for the caller (so "1."
 * fails later as "Extra data").  A fraction or exponent makes a float,
 * converted like float(str): correctly rounded, overflow to ±inf.
 */
function scanNumber(text: string, start: number, intMaxStrDigits: number, profile: PythonVersion): [PyValue, number] {
  const len = text.length;
  let idx = start;
  if (text.charCodeAt(idx) === 0x2d) idx++;
  const first = idx < len ? text.charCodeAt(idx) : -1;
  if (first === 0x30) {
    idx++;
  } else if (first >= 0x31 && first <= 0x39) {
    idx++;
    while (idx < len && isDigit(text.charCodeAt(idx))) idx++;
  } else {
    throw new NoValue(start);
  }
  let isFloat = false;
  if (text.charCodeAt(idx) === 0x2e && isDigit(text.charCodeAt(idx + 1))) {
    isFloat = true;
    idx += 2;
    while (idx < len && isDigit(text.charCodeAt(idx))) idx++;
  }
  const e = text.charCodeAt(idx);
  if (e === 0x65 || e === 0x45) {
    let expIdx = idx + 1;
    const sign = text.charCodeAt(expIdx);
    if (sign === 0x2b || sign === 0x2d) expIdx++;
    if (isDigit(text.charCodeAt(expIdx))) {
      isFloat = true;
      idx = expIdx + 1;
      while (idx < len && isDigit(text.charCodeAt(idx))) idx++;
    }
  }
  const literal = text.slice(start, idx);
  if (isFloat) return [Number(literal), idx];
  // int(str) refuses more than sys.get_int_max_str_digits() digits (sign excluded).
  const digits = literal.charCodeAt(0) === 0x2d ? literal.length - 1 : literal.length;
  if (intMaxStrDigits > 0 && digits > intMaxStrDigits) {
    throw intParseLimitError(digits, intMaxStrDigits, profile);
  }
  return [BigInt(literal), idx];
}

/**
 * scanstring_unicode (strict): `start` is just past the opening quote.
 * Returns the decoded str and the index past the closing quote.
 */
export function scanString(text: string, start: number): [string, number] {
  const len = text.length;
  const begin = start - 1;
  const chunks: string[] = [];
  let end = start;
  for (;;) {
    // Copy up to the next quote or backslash; strict mode refuses raw
    // control characters U+0000..U+001F.
    let next = end;
    let c = -1;
    for (; next < len; next++) {
      c = text.charCodeAt(next);
      if (c === QUOTE || c === BACKSLASH) break;
      if (c <= 0x1f) throw jsonDecodeError(text, "Invalid control character at", next);
    }
    if (next >= len) throw jsonDecodeError(text, "Unterminated string starting at", begin);
    if (next > end) chunks.push(text.slice(end, next));
    next++;
    if (c === QUOTE) return [chunks.join(""), next];
    if (next >= len) throw jsonDecodeError(text, "Unterminated string starting at", begin);
    const escape = text.charCodeAt(next);
    if (escape !== 0x75 /* u */) {
      const decoded = SIMPLE_ESCAPES.get(escape);
      if (decoded === undefined) throw jsonDecodeError(text, "Invalid \\escape", next - 1);
      chunks.push(decoded);
      end = next + 1;
      continue;
    }
    // \uXXXX: errors point at the 'u'.  _json.c wants a character after
    // the four digits before reading them (the closing quote at least).
    const u = next;
    end = u + 5;
    if (end >= len) throw jsonDecodeError(text, "Invalid \\uXXXX escape", u);
    const unit = hex4(text, u + 1);
    if (unit < 0) throw jsonDecodeError(text, "Invalid \\uXXXX escape", u);
    // A high surrogate escape directly followed by a low surrogate escape
    // is one astral character; any other surrogate escape stays lone.
    // (_json.c only looks when more than 6 characters follow.)
    if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      end + 6 < len &&
      text.charCodeAt(end) === BACKSLASH &&
      text.charCodeAt(end + 1) === 0x75
    ) {
      const low = hex4(text, end + 2);
      if (low < 0) throw jsonDecodeError(text, "Invalid \\uXXXX escape", end + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        chunks.push(String.fromCharCode(unit, low));
        end += 6;
        continue;
      }
    }
    chunks.push(String.fromCharCode(unit));
  }
}

/** Four hex digits at idx, or -1 if any is not one. */
function hex4(text: string, idx: number): number {
  let value = 0;
  for (let i = idx; i < idx + 4; i++) {
    const digit = hexValue(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}
