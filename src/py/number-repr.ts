/**
 * Python's `int.__repr__` and `float.__repr__`, shared by json.dumps (which
 * calls exactly these) and repr().
 */
import { PythonValueError } from "./python-errors.ts";
import type { PythonVersion } from "./version.ts";

/**
 * CPython's default `sys.get_int_max_str_digits()` (present in every supported
 * version: 3.8.14+, 3.9.14+, 3.10.7+ and 3.11+).  The PYTHONINTMAXSTRDIGITS
 * environment variable changes it; 0 disables the limit.
 */
export const DEFAULT_INT_MAX_STR_DIGITS = 4300;

/** "(4300)" in the 3.8-3.10 backports, "(4300 digits)" from 3.11 on. */
function limitText(limit: number, profile: PythonVersion): string {
  return profile === "3.8" || profile === "3.9" || profile === "3.10" ? `(${limit})` : `(${limit} digits)`;
}

/** The ValueError int(str) raises for a decimal string with too many digits. */
export function intParseLimitError(digits: number, limit: number, profile: PythonVersion): PythonValueError {
  return new PythonValueError(
    `Exceeds the limit ${limitText(limit, profile)} for integer string conversion: ` +
      `value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit`,
  );
}

/** `int.__repr__`: decimal digits, with CPython's max-str-digits guard. */
export function pythonIntRepr(
  value: bigint,
  profile: PythonVersion,
  maxStrDigits: number = DEFAULT_INT_MAX_STR_DIGITS,
): string {
  const text = value.toString();
  const digits = value < 0n ? text.length - 1 : text.length;
  if (maxStrDigits > 0 && digits > maxStrDigits) {
    throw new PythonValueError(
      `Exceeds the limit ${limitText(maxStrDigits, profile)} for integer string conversion; ` +
        "use sys.set_int_max_str_digits() to increase the limit",
    );
  }
  return text;
}

/**
 * Shortest round-tripping decimal digits of a finite x > 0, and the position
 * of the decimal point: x = 0.DIGITS * 10**decpt.  ECMAScript's
 * Number::toString picks the shortest digit string that reads back as x, the
 * closest one to x when several exist, which is what CPython's repr gets from
 * dtoa mode 0; only the layout differs, so we re-read its digits.
 */
function shortestDigits(x: number): { digits: string; decpt: number } {
  const text = String(x); // "123.45", "0.00012", "1e+21", "1.5e-7"
  const e = text.indexOf("e");
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf(".");
  const intPart = dot < 0 ? mantissa : mantissa.slice(0, dot);
  const all = dot < 0 ? mantissa : intPart + mantissa.slice(dot + 1);
  let first = 0;
  while (all.charCodeAt(first) === 0x30) first++;
  let last = all.length;
  while (last > first && all.charCodeAt(last - 1) === 0x30) last--;
  return { digits: all.slice(first, last), decpt: intPart.length + exponent - first };
}

/**
 * `float.__repr__` (CPython's 'r' format): shortest round-trip digits,
 * positional when -4 < decpt <= 16 (with ".0" added to integral values),
 * scientific otherwise with a signed, at least two-digit exponent ("1e+16",
 * "1e-05", "1.5e+300").  nan/inf as Python spells them.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const { digits, decpt } = shortestDigits(Math.abs(x));
  if (decpt <= -4 || decpt > 16) {
    const exp = decpt - 1;
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expDigits = String(Math.abs(exp)).padStart(2, "0");
    return `${sign}${mantissa}e${exp < 0 ? "-" : "+"}${expDigits}`;
  }
  if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}
