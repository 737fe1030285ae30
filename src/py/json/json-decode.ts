/**
 * `json.loads(text)` with default arguments, as CPython's C scanner
 * (Modules/_json.c, used by json.load) accepts and decodes it.
 *
 * The parser walks the text with an explicit stack instead of recursion so
 * that nesting up to CPython 3.13's limit (~10000 levels) cannot overflow the
 * JavaScript call stack.
 */
import { DEFAULT_INT_MAX_STR_DIGITS, intParseLimitError } from "../number-repr.ts";
import { PythonJsonError, PythonRecursionError } from "../python-errors.ts";
import type { PyDict, PyValue } from "../value.ts";
import type { PythonVersion } from "../version.ts";

/**
 * Deepest container nesting (the outermost `{` counts 1, empty containers
 * count) that `json.load` accepts when called from the reference script's
 * main(): the C scanner calls Py_EnterRecursiveCall for every `[` and `{`,
 * and the limit it hits depends on the interpreter (3.8-3.11 share the
 * Python frame budget of 1000, 3.12 has a separate C budget, 3.13 a much
 * larger one).  Measured with test/support/measure_json_depth_limits.py.
 */
export const REFERENCE_JSON_LOAD_MAX_DEPTH: Readonly<Record<PythonVersion, number>> = {
  "3.8": 993,
  "3.9": 993,
  "3.10": 993,
  "3.11": 993,
  "3.12": 1497,
  "3.13": 9998,
};

export interface ParsePythonJsonOptions {
  /** Interpreter whose messages to reproduce (default "3.11"). */
  profile?: PythonVersion;
  /** Deepest nesting accepted (default REFERENCE_JSON_LOAD_MAX_DEPTH[profile]). */
  maxDepth?: number;
  /** sys.get_int_max_str_digits() (default 4300; 0 = unlimited). */
  intMaxStrDigits?: number;
}

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
class NoValue {
  readonly idx: number;
  constructor(idx: number) {
    this.idx = idx;
  }
}

type Frame = { kind: "list"; value: PyValue[] } | { kind: "dict"; value: PyDict; key: string };

class Decoder {
  private readonly text: string;
  private readonly len: number;
  private readonly profile: PythonVersion;
  private readonly maxDepth: number;
  private readonly intMaxStrDigits: number;

  constructor(text: string, options: ParsePythonJsonOptions) {
    this.text = text;
    this.len = text.length;
    this.profile = options.profile ?? "3.11";
    this.maxDepth = options.maxDepth ?? REFERENCE_JSON_LOAD_MAX_DEPTH[this.profile];
    this.intMaxStrDigits = options.intMaxStrDigits ?? DEFAULT_INT_MAX_STR_DIGITS;
  }

  /** JSONDecodeError(msg, doc, pos), with pos converted to code points. */
  fail(msg: string, idx: number): PythonJsonError {
    const pos = codePointOffset(this.text, 0, idx);
    let newlines = 0;
    let lastNewline = -1;
    for (let i = 0; i < idx; i++) {
      if (this.text.charCodeAt(i) === 0x0a) {
        newlines++;
        lastNewline = i;
      }
    }
    // colno = pos - doc.rfind('\n', 0, pos), rfind giving -1 on line 1.
    const colno = lastNewline < 0 ? pos + 1 : codePointOffset(this.text, lastNewline, idx);
    return new PythonJsonError(msg, pos, newlines + 1, colno);
  }

  skipWhitespace(idx: number): number {
    while (idx < this.len && isJsonWhitespace(this.text.charCodeAt(idx))) idx++;
    return idx;
  }

  decode(): PyValue {
    // json.loads rejects a str that starts with a BOM before decoding.
    if (this.text.charCodeAt(0) === 0xfeff) {
      throw this.fail("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
    }
    let value: PyValue;
    let end: number;
    try {
      [value, end] = this.scanDocument(this.skipWhitespace(0));
    } catch (e) {
      if (e instanceof NoValue) throw this.fail("Expecting value", e.idx);
      throw e;
    }
    end = this.skipWhitespace(end);
    if (end !== this.len) throw this.fail("Extra data", end);
    return value;
  }

  /**
   * One JSON value starting at idx (scan_once), containers included; returns
   * the value and the index just past it.
   */
  scanDocument(idx: number): [PyValue, number] {
    const stack: Frame[] = [];
    for (;;) {
      // Here a value must start at idx.
      let value: PyValue;
      const c = idx < this.len ? this.text.charCodeAt(idx) : -1;
      if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
        // Py_EnterRecursiveCall happens on the bracket, before looking inside.
        if (stack.length + 1 > this.maxDepth) throw this.recursionError(c === 0x5b ? "array" : "object");
        idx = this.skipWhitespace(idx + 1);
        if (c === 0x5b) {
          if (idx < this.len && this.text.charCodeAt(idx) === 0x5d /* ] */) {
            value = [];
            idx++;
          } else {
            stack.push({ kind: "list", value: [] });
            continue;
          }
        } else if (idx < this.len && this.text.charCodeAt(idx) === 0x7d /* } */) {
          value = new Map();
          idx++;
        } else {
          const [key, next] = this.scanKeyAndColon(idx);
          stack.push({ kind: "dict", value: new Map(), key });
          idx = next;
          continue;
        }
      } else {
        [value, idx] = this.scanScalar(idx);
      }

      // A value is complete: store it in its container; close containers
      // until one continues after a ',' (then scan its next value).
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return [value, idx];
        // PyDict_SetItem: a repeated key keeps its first position, takes the new value.
        if (top.kind === "list") top.value.push(value);
        else top.value.set(top.key, value);
        idx = this.skipWhitespace(idx);
        const closer = top.kind === "list" ? 0x5d : 0x7d;
        const c2 = idx < this.len ? this.text.charCodeAt(idx) : -1;
        if (c2 === closer) {
          stack.pop();
          value = top.value;
          idx++;
          continue;
        }
        if (c2 !== 0x2c /* , */) throw this.fail("Expecting ',' delimiter", idx);
        const comma = idx;
        idx = this.skipWhitespace(idx + 1);
        // 3.13 (gh-113149) reports a trailing comma itself; older versions
        // fail on the closer as a missing value / property name.
        if (this.profile === "3.13" && idx < this.len && this.text.charCodeAt(idx) === closer) {
          throw this.fail(`Illegal trailing comma before end of ${top.kind === "list" ? "array" : "object"}`, comma);
        }
        if (top.kind === "dict") {
          const [key, next] = this.scanKeyAndColon(idx);
          top.key = key;
          idx = next;
        }
        break;
      }
    }
  }

  recursionError(kind: "array" | "object"): PythonRecursionError {
    return new PythonRecursionError(`maximum recursion depth exceeded while decoding a JSON ${kind} from a unicode string`);
  }

  /** `"key"` then optional whitespace, `:`, optional whitespace. */
  scanKeyAndColon(idx: number): [string, number] {
    if (idx >= this.len || this.text.charCodeAt(idx) !== QUOTE) {
      throw this.fail("Expecting property name enclosed in double quotes", idx);
    }
    const [key, end] = this.scanString(idx + 1);
    idx = this.skipWhitespace(end);
    if (idx >= this.len || this.text.charCodeAt(idx) !== 0x3a /* : */) {
      throw this.fail("Expecting ':' delimiter", idx);
    }
    return [key, this.skipWhitespace(idx + 1)];
  }

  /** Strings, literals and numbers: the non-container branches of scan_once. */
  scanScalar(idx: number): [PyValue, number] {
    const text = this.text;
    switch (text.charCodeAt(idx)) {
      case QUOTE:
        return this.scanString(idx + 1);
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
    return this.scanNumber(idx);
  }

  /**
   * _match_number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, where a
   * '.' or exponent not followed by digits is left for the caller (so "1."
   * fails later as "Extra data").  A fraction or exponent makes a float,
   * converted like float(str): correctly rounded, overflow to ±inf.
   */
  scanNumber(start: number): [PyValue, number] {
    const text = this.text;
    let idx = start;
    if (text.charCodeAt(idx) === 0x2d) idx++;
    const first = idx < this.len ? text.charCodeAt(idx) : -1;
    if (first === 0x30) {
      idx++;
    } else if (first >= 0x31 && first <= 0x39) {
      idx++;
      while (idx < this.len && isDigit(text.charCodeAt(idx))) idx++;
    } else {
      throw new NoValue(start);
    }
    let isFloat = false;
    if (text.charCodeAt(idx) === 0x2e && isDigit(text.charCodeAt(idx + 1))) {
      isFloat = true;
      idx += 2;
      while (idx < this.len && isDigit(text.charCodeAt(idx))) idx++;
    }
    const e = text.charCodeAt(idx);
    if (e === 0x65 || e === 0x45) {
      let expIdx = idx + 1;
      const sign = text.charCodeAt(expIdx);
      if (sign === 0x2b || sign === 0x2d) expIdx++;
      if (isDigit(text.charCodeAt(expIdx))) {
        isFloat = true;
        idx = expIdx + 1;
        while (idx < this.len && isDigit(text.charCodeAt(idx))) idx++;
      }
    }
    const literal = text.slice(start, idx);
    if (isFloat) return [Number(literal), idx];
    // int(str) refuses more than sys.get_int_max_str_digits() digits (sign excluded).
    const digits = literal.charCodeAt(0) === 0x2d ? literal.length - 1 : literal.length;
    if (this.intMaxStrDigits > 0 && digits > this.intMaxStrDigits) {
      throw intParseLimitError(digits, this.intMaxStrDigits, this.profile);
    }
    return [BigInt(literal), idx];
  }

  /**
   * scanstring_unicode (strict): `start` is just past the opening quote.
   * Returns the decoded str and the index past the closing quote.
   */
  scanString(start: number): [string, number] {
    const text = this.text;
    const len = this.len;
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
        if (c <= 0x1f) throw this.fail("Invalid control character at", next);
      }
      if (next >= len) throw this.fail("Unterminated string starting at", begin);
      if (next > end) chunks.push(text.slice(end, next));
      next++;
      if (c === QUOTE) return [chunks.join(""), next];
      if (next >= len) throw this.fail("Unterminated string starting at", begin);
      const escape = text.charCodeAt(next);
      if (escape !== 0x75 /* u */) {
        const decoded = SIMPLE_ESCAPES.get(escape);
        if (decoded === undefined) throw this.fail("Invalid \\escape", next - 1);
        chunks.push(decoded);
        end = next + 1;
        continue;
      }
      // \uXXXX: errors point at the 'u'.  _json.c wants a character after
      // the four digits before reading them (the closing quote at least).
      const u = next;
      end = u + 5;
      if (end >= len) throw this.fail("Invalid \\uXXXX escape", u);
      const unit = this.hex4(u + 1);
      if (unit < 0) throw this.fail("Invalid \\uXXXX escape", u);
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
        const low = this.hex4(end + 2);
        if (low < 0) throw this.fail("Invalid \\uXXXX escape", end + 1);
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
  hex4(idx: number): number {
    let value = 0;
    for (let i = idx; i < idx + 4; i++) {
      const digit = hexValue(this.text.charCodeAt(i));
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  }
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

/**
 * `json.loads(text)`: the same acceptance, results and error messages as
 * CPython's decoder.  Throws PythonJsonError (JSONDecodeError),
 * PythonValueError (an int with too many digits) or PythonRecursionError.
 *
 * `text` must already be what Python's text-mode read produced: decoded
 * (strictly) from UTF-8 with universal newlines applied ("\r\n" and "\r"
 * become "\n"), which matters for error positions.
 */
export function parsePythonJson(text: string, options: ParsePythonJsonOptions = {}): PyValue {
  return new Decoder(text, options).decode();
}
