/**
 * `json.loads(text)` with default arguments, as CPython's C scanner
 * (Modules/_json.c, used by json.load) accepts and decodes it.
 *
 * The parser walks the text with an explicit stack instead of recursion so
 * that nesting up to CPython 3.13's limit (~10000 levels) cannot overflow the
 * JavaScript call stack.
 */
import { DEFAULT_INT_MAX_STR_DIGITS } from "../number-repr.ts";
import { PythonRecursionError, type PythonJsonError } from "../python-errors.ts";
import type { PyDict, PyValue } from "../value.ts";
import type { PythonVersion } from "../version.ts";
import { NoValue, jsonDecodeError, scanScalar, scanString, skipWhitespace } from "./json-scan.ts";

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
    return jsonDecodeError(this.text, msg, idx);
  }

  skipWhitespace(idx: number): number {
    return skipWhitespace(this.text, idx);
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
      let value: PyValue | undefined;
      const c = idx < this.len ? this.text.charCodeAt(idx) : -1;
      if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
        [value, idx] = this.openContainer(c, idx, stack);
        // A non-empty container: its first value starts at idx.
        if (value === undefined) continue;
      } else {
        [value, idx] = scanScalar(this.text, idx, this.intMaxStrDigits, this.profile);
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
        const c2 = idx < this.len ? this.text.charCodeAt(idx) : -1;
        if (c2 === (top.kind === "list" ? 0x5d : 0x7d)) {
          stack.pop();
          value = top.value;
          idx++;
          continue;
        }
        if (c2 !== 0x2c /* , */) throw this.fail("Expecting ',' delimiter", idx);
        idx = this.afterComma(top, idx);
        break;
      }
    }
  }

  /**
   * The `[` or `{` (c) at idx: an empty container is a complete value (and
   * the index past it); otherwise its frame is pushed and the value is
   * undefined, with the index where its first value starts.
   */
  openContainer(c: number, idx: number, stack: Frame[]): [PyValue | undefined, number] {
    // Py_EnterRecursiveCall happens on the bracket, before looking inside.
    if (stack.length + 1 > this.maxDepth) throw this.recursionError(c === 0x5b ? "array" : "object");
    idx = this.skipWhitespace(idx + 1);
    const next = idx < this.len ? this.text.charCodeAt(idx) : -1;
    if (c === 0x5b) {
      if (next === 0x5d /* ] */) return [[], idx + 1];
      stack.push({ kind: "list", value: [] });
      return [undefined, idx];
    }
    if (next === 0x7d /* } */) return [new Map(), idx + 1];
    const [key, afterKey] = this.scanKeyAndColon(idx);
    stack.push({ kind: "dict", value: new Map(), key });
    return [undefined, afterKey];
  }

  /** After the ',' at idx in the container `top`: the index where its next value starts (a dict's key read). */
  afterComma(top: Frame, comma: number): number {
    const idx = this.skipWhitespace(comma + 1);
    // 3.13 (gh-113149) reports a trailing comma itself; older versions
    // fail on the closer as a missing value / property name.
    const closer = top.kind === "list" ? 0x5d : 0x7d;
    if (this.profile === "3.13" && idx < this.len && this.text.charCodeAt(idx) === closer) {
      throw this.fail(`Illegal trailing comma before end of ${top.kind === "list" ? "array" : "object"}`, comma);
    }
    if (top.kind === "list") return idx;
    const [key, next] = this.scanKeyAndColon(idx);
    top.key = key;
    return next;
  }

  recursionError(kind: "array" | "object"): PythonRecursionError {
    return new PythonRecursionError(`maximum recursion depth exceeded while decoding a JSON ${kind} from a unicode string`);
  }

  /** `"key"` then optional whitespace, `:`, optional whitespace. */
  scanKeyAndColon(idx: number): [string, number] {
    if (idx >= this.len || this.text.charCodeAt(idx) !== QUOTE) {
      throw this.fail("Expecting property name enclosed in double quotes", idx);
    }
    const [key, end] = scanString(this.text, idx + 1);
    idx = this.skipWhitespace(end);
    if (idx >= this.len || this.text.charCodeAt(idx) !== 0x3a /* : */) {
      throw this.fail("Expecting ':' delimiter", idx);
    }
    return [key, this.skipWhitespace(idx + 1)];
  }
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
