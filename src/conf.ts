import { readFileSync } from "node:fs";
import { parsePythonJson } from "./py/json.js";
import { PythonJsonError } from "./py/python-errors.js";
import { isPyDict, isPyList, isPyStr, pyTypeName, type PyDict, type PyValue } from "./py/value.js";
import type { PythonVersion } from "./py/version.js";

/** The conf file is unreadable, not JSON, or lacks what the image needs. */
export class ConfError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfError";
  }
}

/** The conf as the script reads it: `json.load` output plus the keys it indexes. */
export interface ImageConf {
  /** The parsed document, key order and Python types intact. */
  readonly raw: PyDict;
  readonly created: string;
  /** Each layer's store paths, as the script's loops iterate them. */
  readonly storeLayers: readonly (readonly string[])[];
  /**
   * Each layer as the conf gives it (a list, a dict, ""), which the log and
   * history comments show with str(); when absent, the `storeLayers` lists.
   */
  readonly storeLayerValues?: readonly PyValue[];
  readonly customisationLayer: string;
  readonly architecture: PyValue;
  readonly config: PyValue;
  readonly repoTag: PyValue;
}

/**
 * `json.load(open(path, "r"))`: UTF-8 text (invalid bytes are an error, a
 * BOM is kept and then rejected by json), parsed with Python's rules.
 */
export function parseConfText(text: string, source: string, python: PythonVersion): PyDict {
  let value: PyValue;
  try {
    // Text mode reads "\r\n" and "\r" as "\n" (universal newlines) before json sees the text.
    value = parsePythonJson(text.replace(/\r\n?/g, "\n"), { profile: python });
  } catch (error) {
    if (error instanceof PythonJsonError) throw new ConfError(`${source}: invalid JSON: ${error.message}`, { cause: error });
    throw new ConfError(`${source}: cannot parse: ${(error as Error).message}`, { cause: error });
  }
  if (!isPyDict(value)) throw new ConfError(`${source}: the conf must be a JSON object, not ${pyTypeName(value)}`);
  return value;
}

export function readConfFile(file: string, python: PythonVersion): PyDict {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfError(`Cannot read conf ${JSON.stringify(file)}: ${code}`, { cause: error });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new ConfError(`Cannot read conf ${JSON.stringify(file)}: it is not valid UTF-8`, { cause: error });
  }
  return parseConfText(text, file, python);
}

function key(raw: PyDict, name: string, source: string): PyValue {
  if (!raw.has(name)) throw new ConfError(`${source}: missing key "${name}"`);
  return raw.get(name)!;
}

function stringKey(raw: PyDict, name: string, source: string): string {
  const value = key(raw, name, source);
  if (!isPyStr(value)) throw new ConfError(`${source}: "${name}" must be a string, not ${pyTypeName(value)}`);
  return value;
}

/**
 * The layers `enumerate(conf["store_layers"])` visits.  The reference
 * iterates whatever it is given: an empty str or dict is no layer at all (an
 * image of the customisation layer alone), and so it is here.  A non-empty
 * str or dict gives str layers the reference rejects (or an empty layer for
 * a "" key): refused.
 */
function storeLayerValues(layers: PyValue, source: string): PyValue[] {
  if (isPyList(layers)) return layers;
  if (layers === "" || (isPyDict(layers) && layers.size === 0)) return [];
  throw new ConfError(`${source}: "store_layers" must be a list of lists of store paths, not ${pyTypeName(layers)}`);
}

/**
 * The store paths `for path in paths` visits in one layer: a dict's keys (the
 * reference writes those paths, and shows the dict in the history comment),
 * nothing for "" (an empty layer).  A non-empty str is iterated character by
 * character, which the reference's store path assertion rejects: refused.
 */
function layerPathValues(layer: PyValue, i: number, source: string): PyValue[] {
  if (isPyList(layer)) return layer;
  if (isPyDict(layer)) return [...layer.keys()];
  if (layer === "") return [];
  throw new ConfError(`${source}: "store_layers"[${i}] must be a list of store paths, not ${pyTypeName(layer)}`);
}

/** Checks the keys the image is built from; everything else in the conf is ignored, as by the script. */
export function validateConf(raw: PyDict, source: string): ImageConf {
  const created = stringKey(raw, "created", source);
  const layerValues = storeLayerValues(key(raw, "store_layers", source), source);
  const storeLayers = layerValues.map((layer, i) =>
    layerPathValues(layer, i, source).map((path, k) => {
      if (!isPyStr(path)) throw new ConfError(`${source}: "store_layers"[${i}][${k}] must be a string, not ${pyTypeName(path)}`);
      if (!path.startsWith("/nix/store/")) {
        throw new ConfError(`${source}: "store_layers"[${i}][${k}] is not an absolute store path: ${JSON.stringify(path)}`);
      }
      return path;
    }),
  );
  return {
    raw,
    created,
    storeLayers,
    storeLayerValues: layerValues,
    customisationLayer: stringKey(raw, "customisation_layer", source),
    architecture: key(raw, "architecture", source),
    config: key(raw, "config", source),
    repoTag: key(raw, "repo_tag", source),
  };
}
