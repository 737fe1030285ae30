/**
 * Every difference between two image configs, as JSON paths: values that
 * changed, keys and list items only one side has.  Both are parsed with
 * Python's rules (big ints and floats stay what they were written as), but
 * key order is no difference here: configs written by other tools are
 * plain JSON, whose objects are unordered.
 */
import { dumpsPythonJson, parsePythonJson } from "../py/json/json.ts";
import { pyTypeName, type PyValue } from "../py/value.ts";
import { DiffInputError } from "./diff-errors.ts";
import { pathText } from "./json-diff.ts";
import { sameInstant } from "./instant.ts";
import type { ConfigDifference, DiffOptions, DiffSide, JsonText } from "./diff-types.ts";

type Path = readonly (string | number)[];

/** A value as compact JSON text (non-ASCII kept as is, floats as Python writes them). */
export function jsonText(value: PyValue): JsonText {
  if (value instanceof Map) return `{${[...value].map(([key, inner]) => `${JSON.stringify(key)}: ${jsonText(inner)}`).join(", ")}}`;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(", ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  return dumpsPythonJson(value, 0, { intMaxStrDigits: 0 });
}

function parse(side: DiffSide): PyValue {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(side.configBytes);
    return parsePythonJson(text, { intMaxStrDigits: 0 });
  } catch (error) {
    throw new DiffInputError(side.name, "config", `not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Paths the options take out of the comparison (see DiffOptions). */
function ignoredPath(path: Path, options: DiffOptions): boolean {
  const [first, second, third] = path;
  if (first === "history" && options.ignoreHistory === true) return true;
  if (options.ignoreTimestamps !== true) return false;
  return (path.length === 1 && first === "created") || (path.length === 3 && first === "history" && typeof second === "number" && third === "created");
}

/** `rootfs.diff_ids[i]` stands for layer i. */
function layerOf(path: Path): number | undefined {
  return path.length === 3 && path[0] === "rootfs" && path[1] === "diff_ids" && typeof path[2] === "number" ? path[2] : undefined;
}

/** Equal values; two times are equal when they are one instant (see instant.ts: a converted config writes them again). */
function sameScalar(a: PyValue, b: PyValue): boolean {
  if (typeof a === "string" && typeof b === "string") return a === b || sameInstant(a, b);
  return typeof a === "number" && typeof b === "number" ? Object.is(a, b) : a === b;
}

class Walk {
  readonly found: ConfigDifference[] = [];
  private readonly options: DiffOptions;
  constructor(options: DiffOptions) {
    this.options = options;
  }

  private note(path: Path, kind: ConfigDifference["kind"], a: PyValue | undefined, b: PyValue | undefined): void {
    const show = (value: PyValue | undefined) => (value === undefined ? undefined : jsonText(value));
    this.found.push({ path: pathText(path), kind, a: show(a), b: show(b), layer: layerOf(path) });
  }

  /** One side's extra key or item, unless ignored. */
  private only(path: Path, a: PyValue | undefined, b: PyValue | undefined): void {
    if (!ignoredPath(path, this.options)) this.note(path, a === undefined ? "added" : "removed", a, b);
  }

  compare(a: PyValue, b: PyValue, path: Path): void {
    if (ignoredPath(path, this.options)) return;
    if (pyTypeName(a) !== pyTypeName(b)) return this.note(path, "changed", a, b);
    if (a instanceof Map && b instanceof Map) {
      for (const [key, value] of a) {
        if (b.has(key)) this.compare(value, b.get(key)!, [...path, key]);
        else this.only([...path, key], value, undefined);
      }
      for (const [key, value] of b) if (!a.has(key)) this.only([...path, key], undefined, value);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (i < a.length && i < b.length) this.compare(a[i]!, b[i]!, [...path, i]);
        else this.only([...path, i], a[i], b[i]);
      }
      return;
    }
    if (!sameScalar(a, b)) this.note(path, "changed", a, b);
  }
}

/** Every difference between the two configs, in A's key order then B's extra keys. */
export function diffConfigs(a: DiffSide, b: DiffSide, options: DiffOptions): ConfigDifference[] {
  const [x, y] = [parse(a), parse(b)];
  if (a.configBytes.equals(b.configBytes)) return [];
  const walk = new Walk(options);
  walk.compare(x, y, []);
  return walk.found;
}
