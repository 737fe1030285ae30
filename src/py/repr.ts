/**
 * Python's repr() of the values json.load produces.  The reference script
 * prints `print("Creating layer", num, "from paths:", store_layer)` and
 * writes `f"store paths: {layer.paths}"`, both of which are repr() of the
 * layer's value (normally a list of str, but any JSON value gets there).
 */
import { DEFAULT_INT_MAX_STR_DIGITS, pythonFloatRepr, pythonIntRepr } from "./number-repr.ts";
import { isPrintable } from "./unicode/printable.ts";
import type { PyValue } from "./value.ts";
import type { PythonVersion } from "./version.ts";

export interface ReprOptions {
  /** sys.get_int_max_str_digits() (default 4300; 0 = unlimited). */
  intMaxStrDigits?: number;
}

/** "00".."ff": escapes are built from byte pairs (faster than toString(16) + padStart). */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

function hex2(c: number): string {
  return HEX_PAIRS[c & 0xff] ?? "";
}

/**
 * `repr(s)` (unicode_repr): single quotes unless the text holds `'` and no
 * `"`; the chosen quote and `\` are backslash-escaped, \t \n \r spelled as
 * such, other ASCII controls and DEL as \xhh; non-ASCII characters are kept
 * when str.isprintable() holds for them in this version's Unicode database,
 * else escaped as \xhh, \uhhhh or \Uhhhhhhhh (lowercase hex).  Lone
 * surrogates are category Cs, hence never printable.
 */
export function reprStr(s: string, profile: PythonVersion): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const quoteCode = quote.charCodeAt(0);
  // String concatenation (V8 ropes) is linear here and cheaper than join().
  let out = quote;
  let runStart = 0;
  for (let i = 0; i < s.length; ) {
    const c = s.codePointAt(i) ?? 0;
    const width = c > 0xffff ? 2 : 1;
    let escaped: string | undefined;
    if (c >= 0x20 && c < 0x7f) {
      // Printable ASCII stays, except the chosen quote and the backslash.
      if (c === quoteCode || c === 0x5c) escaped = `\\${String.fromCharCode(c)}`;
    } else if (c === 0x09) escaped = "\\t";
    else if (c === 0x0a) escaped = "\\n";
    else if (c === 0x0d) escaped = "\\r";
    else if (c < 0x20 || c === 0x7f) escaped = `\\x${hex2(c)}`;
    else if (!isPrintable(c, profile)) {
      if (c <= 0xff) escaped = `\\x${hex2(c)}`;
      else if (c <= 0xffff) escaped = `\\u${hex2(c >>> 8)}${hex2(c)}`;
      else escaped = `\\U00${hex2(c >>> 16)}${hex2(c >>> 8)}${hex2(c)}`;
    }
    if (escaped !== undefined) {
      if (i > runStart) out += s.slice(runStart, i);
      out += escaped;
      runStart = i + width;
    }
    i += width;
  }
  if (s.length > runStart) out += s.slice(runStart);
  return out + quote;
}

type Frame = { close: string; entries: Iterator<[string | null, PyValue]> };

function* listEntries(list: readonly PyValue[]): Iterator<[null, PyValue]> {
  for (const item of list) yield [null, item];
}

/**
 * `repr(value)` for any value json.load produces: None/True/False, int and
 * float reprs, `[a, b]` lists and `{'k': v}` dicts (", " and ": "
 * separators).  Iterative, so nesting depth is bounded only by memory (the
 * reference's repr never hits its recursion limit before json.load's does).
 */
export function reprValue(value: PyValue, profile: PythonVersion, options: ReprOptions = {}): string {
  const intMaxStrDigits = options.intMaxStrDigits ?? DEFAULT_INT_MAX_STR_DIGITS;
  const out: string[] = [];
  const stack: Frame[] = [];

  const emit = (item: PyValue): void => {
    if (item === null) out.push("None");
    else if (item === true) out.push("True");
    else if (item === false) out.push("False");
    else if (typeof item === "string") out.push(reprStr(item, profile));
    else if (typeof item === "bigint") out.push(pythonIntRepr(item, profile, intMaxStrDigits));
    else if (typeof item === "number") out.push(pythonFloatRepr(item));
    else if (Array.isArray(item)) {
      out.push("[");
      stack.push({ close: "]", entries: listEntries(item) });
    } else {
      out.push("{");
      stack.push({ close: "}", entries: item.entries() });
    }
  };

  emit(value);
  let first = true;
  for (let top = stack[stack.length - 1]; top !== undefined; top = stack[stack.length - 1]) {
    const step = top.entries.next();
    if (step.done === true) {
      stack.pop();
      out.push(top.close);
      first = false;
      continue;
    }
    const [key, item] = step.value;
    if (!first) out.push(", ");
    if (key !== null) out.push(reprStr(key, profile), ": ");
    const depth = stack.length;
    emit(item);
    first = stack.length > depth;
  }
  return out.join("");
}

/** `repr(list)` / `str(list)`: what `f"store paths: {paths}"` and print() show. */
export function reprList(list: PyValue[], profile: PythonVersion, options: ReprOptions = {}): string {
  return reprValue(list, profile, options);
}

/** `str(value)` (what print() and an f-string show): a str as it is, anything else its repr. */
export function strValue(value: PyValue, profile: PythonVersion, options: ReprOptions = {}): string {
  return typeof value === "string" ? value : reprValue(value, profile, options);
}
