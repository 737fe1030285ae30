/**
 * Python's `int(x)` on a value `json.load` produced, as the current script
 * applies it to the conf's "uid" and "gid".  What it accepts, exactly:
 * bools (True is 1), ints, floats truncated toward zero (not NaN, not ±inf),
 * and strs in base 10: surrounding whitespace, one sign, ASCII or any other
 * Unicode decimal digits (per the interpreter's Unicode database), single
 * underscores between digits, at most sys.get_int_max_str_digits() digits.
 */
import { PythonError } from "./python-errors.ts";
import { intParseLimitError, DEFAULT_INT_MAX_STR_DIGITS } from "./number-repr.ts";
import { DECIMAL_RUN_STARTS } from "./unicode/unicode-decimal.ts";
import { reprValue } from "./repr.ts";
import { pyTypeName, type PyValue } from "./value.ts";
import type { PythonVersion } from "./version.ts";

/** The exception `int()` raised: `pythonType` is ValueError, TypeError or OverflowError. */
export class PythonIntError extends PythonError {
  readonly pythonType: "ValueError" | "TypeError" | "OverflowError";
  override readonly name = "PythonIntError";
  constructor(pythonType: "ValueError" | "TypeError" | "OverflowError", message: string) {
    super(message);
    this.pythonType = pythonType;
  }
}

/** Py_UNICODE_ISSPACE beyond ASCII: these become " " before parsing. */
const UNICODE_SPACES = new Set([0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
/** Py_ISSPACE: what PyLong_FromString skips around the digits (not \x1c-\x1f, which str.isspace() counts). */
const ASCII_SPACE = /^[ \t\n\v\f\r]$/;

function decimalValue(cp: number, python: PythonVersion): number | undefined {
  const starts = DECIMAL_RUN_STARTS[python];
  let low = 0;
  let high = starts.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const start = starts[mid]!;
    if (cp < start) high = mid - 1;
    else if (cp > start + 9) low = mid + 1;
    else return cp - start;
  }
  return undefined;
}

/**
 * `_PyUnicode_TransformDecimalAndSpaceToASCII`: non-ASCII whitespace to " ",
 * non-ASCII decimal digits to ASCII ones; anything else ends the text (the
 * parse then fails on it).
 */
function toAsciiDigits(text: string, python: PythonVersion): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 127) out += ch;
    else if (UNICODE_SPACES.has(cp)) out += " ";
    else {
      const digit = decimalValue(cp, python);
      if (digit === undefined) return `${out}?`;
      out += String(digit);
    }
  }
  return out;
}

function parseDecimal(text: string, python: PythonVersion): bigint {
  const invalid = () => new PythonIntError("ValueError", `invalid literal for int() with base 10: ${reprValue(text, python)}`);
  const ascii = toAsciiDigits(text, python);
  let i = 0;
  while (i < ascii.length && ASCII_SPACE.test(ascii[i]!)) i++;
  let negative = false;
  if (ascii[i] === "+" || ascii[i] === "-") negative = ascii[i++] === "-";
  let digits = "";
  let previousDigit = false;
  for (; i < ascii.length; i++) {
    const ch = ascii[i]!;
    if (ch >= "0" && ch <= "9") {
      digits += ch;
      previousDigit = true;
    } else if (ch === "_" && previousDigit) previousDigit = false;
    else break;
  }
  // An underscore must sit between two digits.
  if (digits === "" || !previousDigit) throw invalid();
  while (i < ascii.length && ASCII_SPACE.test(ascii[i]!)) i++;
  if (i !== ascii.length) throw invalid();
  if (digits.length > DEFAULT_INT_MAX_STR_DIGITS) {
    const limit = intParseLimitError(digits.length, DEFAULT_INT_MAX_STR_DIGITS, python);
    throw new PythonIntError("ValueError", limit.message);
  }
  const value = BigInt(digits);
  return negative ? -value : value;
}

/** `int(value)` for a JSON value, or the exception CPython raises. */
export function pythonInt(value: PyValue, python: PythonVersion): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "boolean") return value ? 1n : 0n;
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new PythonIntError("ValueError", "cannot convert float NaN to integer");
    if (!Number.isFinite(value)) throw new PythonIntError("OverflowError", "cannot convert float infinity to integer");
    return BigInt(Math.trunc(value));
  }
  if (typeof value === "string") return parseDecimal(value, python);
  const what = python === "3.8" || python === "3.9" ? "a number" : "a real number";
  throw new PythonIntError("TypeError", `int() argument must be a string, a bytes-like object or ${what}, not '${pyTypeName(value)}'`);
}
