/**
 * The first difference between two JSON documents (the config and the
 * manifest), as a path a person can look up: `config.Env[2]`,
 * `rootfs` key order, a missing key.  Both sides are parsed with Python's
 * rules, so key order, duplicate keys, big ints and NaN survive.
 */
import { parsePythonJson, dumpsPythonJson } from "../py/json/json.ts";
import { pyTypeName, type PyValue } from "../py/value.ts";
import type { PythonVersion } from "../py/version.ts";
import { firstDifferingByte, showBytes } from "../tar/show.ts";

export interface JsonDifference {
  /** `config.Env[2]`, `rootfs`, or `(top level)`. */
  readonly path: string;
  readonly what: string;
  readonly expected: string;
  readonly found: string;
}

export function pathText(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(top level)";
  let text = "";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(step)) text += text === "" ? step : `.${step}`;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text;
}

function show(value: PyValue): string {
  const text = dumpsPythonJson(value, 0).replace(/\n/g, "");
  const shown = text.length > 160 ? `${text.slice(0, 160)}…` : text;
  return value !== null && typeof value === "object" ? shown : `${pyTypeName(value)} ${shown}`;
}

function keyList(keys: readonly string[]): string {
  return `[${keys.map((k) => JSON.stringify(k)).join(", ")}]`;
}

function sameScalar(a: PyValue, b: PyValue): boolean {
  return typeof a === "number" && typeof b === "number" ? Object.is(a, b) : a === b;
}

/** Walks both values in document order; the first difference in text order is the first one met. */
function compare(expected: PyValue, found: PyValue, path: (string | number)[]): JsonDifference | undefined {
  const at = pathText(path);
  if (pyTypeName(expected) !== pyTypeName(found)) return { path: at, what: "value differs", expected: show(expected), found: show(found) };
  if (expected instanceof Map && found instanceof Map) {
    const eKeys = [...expected.keys()];
    const fKeys = [...found.keys()];
    for (let i = 0; i < Math.max(eKeys.length, fKeys.length); i++) {
      const e = eKeys[i];
      const f = fKeys[i];
      if (e !== undefined && e === f) {
        const inner = compare(expected.get(e)!, found.get(f)!, [...path, e]);
        if (inner !== undefined) return inner;
        continue;
      }
      const sameSet = eKeys.length === fKeys.length && eKeys.every((k) => found.has(k));
      if (sameSet) return { path: at, what: "key order differs", expected: keyList(eKeys), found: keyList(fKeys) };
      if (e !== undefined && !found.has(e)) return { path: at, what: `key ${JSON.stringify(e)} is missing`, expected: keyList(eKeys), found: keyList(fKeys) };
      return { path: at, what: `unexpected key ${JSON.stringify(f)}`, expected: keyList(eKeys), found: keyList(fKeys) };
    }
    return undefined;
  }
  if (Array.isArray(expected) && Array.isArray(found)) {
    for (let i = 0; i < Math.min(expected.length, found.length); i++) {
      const inner = compare(expected[i]!, found[i]!, [...path, i]);
      if (inner !== undefined) return inner;
    }
    if (expected.length !== found.length) return { path: at, what: "list length differs", expected: `${expected.length} items`, found: `${found.length} items` };
    return undefined;
  }
  return sameScalar(expected, found) ? undefined : { path: at, what: "value differs", expected: show(expected), found: show(found) };
}

/** Where two JSON texts differ; `expected` is ours and always parses. */
export function jsonDifference(expected: Buffer, found: Buffer, python: PythonVersion): JsonDifference | undefined {
  if (expected.equals(found)) return undefined;
  const expectedValue = parsePythonJson(expected.toString("utf8"), { profile: python });
  let foundValue: PyValue;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(found);
    foundValue = parsePythonJson(text, { profile: python });
  } catch (error) {
    return { path: "(top level)", what: "IMAGE's document is not valid JSON", expected: "valid JSON", found: (error as Error).message };
  }
  const difference = compare(expectedValue, foundValue, []);
  if (difference !== undefined) return difference;
  // Same value, other text: indentation, escapes, number spelling.
  const at = firstDifferingByte(expected, found);
  const line = expected.subarray(0, at).toString("utf8").split("\n").length;
  const around = (bytes: Buffer) => showBytes(bytes.subarray(Math.max(0, at - 20), at + 20));
  return { path: `(text, line ${line}, byte ${at})`, what: "same JSON value written differently", expected: around(expected), found: around(found) };
}
