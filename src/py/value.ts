/**
 * Value model for the Python objects that `json.load` can produce.
 *
 *   None  -> null          bool  -> boolean
 *   int   -> bigint        float -> number (NaN, ±Infinity, -0 included)
 *   str   -> string        list  -> PyValue[]
 *   dict  -> PyDict (a Map: insertion order is Python's dict order)
 *
 * A JS string stands for a Python str: a surrogate pair is one astral code
 * point, a lone surrogate is Python's lone surrogate code point.  Python ints
 * and floats must stay distinct (`1` vs `1.0` are dumped and repr'd
 * differently), hence bigint for int.  Plain JS objects cannot be used for
 * dicts because they move integer-like keys ("1", "42") to the front.
 *
 * Limitation: a JS string cannot hold a lone high surrogate followed by a
 * lone low surrogate as two code points (it reads as one astral character).
 * json.load never yields that from UTF-8 text: Python itself joins an
 * escaped pair "\uD83D\uDE00", and text decoded from UTF-8 holds no raw
 * surrogates.
 */
export type PyValue = null | boolean | bigint | number | string | PyValue[] | PyDict;

export type PyDict = Map<string, PyValue>;

export function isPyDict(value: PyValue): value is PyDict {
  return value instanceof Map;
}

export function isPyList(value: PyValue): value is PyValue[] {
  return Array.isArray(value);
}

export function isPyStr(value: PyValue): value is string {
  return typeof value === "string";
}

export function isPyInt(value: PyValue): value is bigint {
  return typeof value === "bigint";
}

export function isPyFloat(value: PyValue): value is number {
  return typeof value === "number";
}

/** A list whose items are all str (what a well-formed store layer is). */
export function isPyStrList(value: PyValue): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** Python's `type(value).__name__`, for error messages that mimic Python's. */
export function pyTypeName(value: PyValue): "NoneType" | "bool" | "int" | "float" | "str" | "list" | "dict" {
  if (value === null) return "NoneType";
  switch (typeof value) {
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return "float";
    case "string":
      return "str";
    default:
      return Array.isArray(value) ? "list" : "dict";
  }
}
