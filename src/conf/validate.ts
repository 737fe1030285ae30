/**
 * The conf's keys as the image needs them: ImageConf, what the later stages
 * read, checked the way the script fails on them (its asserts, str/int/
 * encode errors), for the 2020 or the current generation of the script.
 * Reading the file: read.ts; which generation: generation.ts.
 */
import { PythonError } from "../py/python-errors.ts";
import { isPyDict, isPyList, isPyStr, pyTypeName, type PyDict, type PyValue } from "../py/value.ts";
import type { PythonVersion } from "../py/version.ts";
import { CURRENT_KEYS, generationRules, type Generation } from "../profile/generation.ts";
import { pythonInt } from "../py/int.ts";
import { fsEncode, strFacts } from "../py/fsname.ts";
import { ConfError } from "./read.ts";
import { detectGeneration } from "./generation.ts";

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
  /** The script generation whose bytes to write (detected from the keys, or chosen). */
  readonly generation: Generation;
  /** The current script's keys (undefined for the 2020 script, which reads none of them). */
  readonly current: CurrentKeys | undefined;
}

/** Member ownership, as `apply_filters` sets it on every store-layer member. */
export interface Ownership {
  readonly uid: bigint;
  readonly gid: bigint;
  readonly uname: string;
  readonly gname: string;
}

/** What the current script reads besides the 2020 keys. */
export interface CurrentKeys {
  /** "now" (the same instant as a "now" created) or an isoformat string: every member's mtime. */
  readonly mtime: string;
  readonly owner: Ownership;
  /** Every store path must start with it (str.startswith: a plain prefix). */
  readonly storeDir: string;
  /** The base image's path (a docker-archive), or undefined for null. */
  readonly fromImage: string | undefined;
}

/** The current keys of a conf whose generation reads them (an ImageConf that validateConf did not make may lack them). */
export function currentKeysOf(conf: ImageConf): CurrentKeys {
  if (conf.current === undefined) throw new TypeError(`the ${conf.generation} script reads ${CURRENT_KEYS.join(", ")}, which this ImageConf lacks (see validateConf)`);
  return conf.current;
}

export interface ValidateOptions {
  /** Override the generation the conf's keys say (the CLI's --generation). */
  readonly generation?: Generation | undefined;
  /** The current script's `--repo_tag`/`-t`: a non-empty value replaces the conf's repo_tag. */
  readonly repoTag?: string | undefined;
  /** The CPython whose int() reads uid/gid (its Unicode digits); default 3.13. */
  readonly python?: PythonVersion | undefined;
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

/** `int(conf[name])`, as the current script reads uid and gid. */
function intKey(raw: PyDict, name: string, source: string, python: PythonVersion): bigint {
  try {
    return pythonInt(key(raw, name, source), python);
  } catch (error) {
    if (error instanceof PythonError) throw new ConfError(`${source}: "${name}": ${error.pythonType}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * uname/gname reach tarfile only when a store layer is written: there a
 * non-str fails (`.encode` of an int), and so does a lone surrogate that
 * surrogateescape cannot turn back into a byte.
 */
function ownerName(raw: PyDict, name: string, source: string, used: boolean): string {
  const value = key(raw, name, source);
  if (!used) return isPyStr(value) ? value : "";
  if (!isPyStr(value)) throw new ConfError(`${source}: "${name}" must be a string, not ${pyTypeName(value)}`);
  if (!strFacts(value).utf8) {
    try {
      fsEncode(value);
    } catch {
      throw new ConfError(`${source}: "${name}" cannot be written to a tar header: it holds a lone surrogate outside U+DC80..U+DCFF`);
    }
  }
  return value;
}

function currentKeys(raw: PyDict, source: string, python: PythonVersion, storeLayers: readonly (readonly string[])[]): CurrentKeys {
  const mtime = key(raw, "mtime", source);
  if (!isPyStr(mtime)) throw new ConfError(`${source}: "mtime" must be a string, not ${pyTypeName(mtime)}`);
  const uid = intKey(raw, "uid", source, python);
  const gid = intKey(raw, "gid", source, python);
  // The script checks store_dir and writes owners only for layers that have paths / exist.
  const anyLayer = storeLayers.length > 0;
  const anyPath = storeLayers.some((layer) => layer.length > 0);
  const uname = ownerName(raw, "uname", source, anyLayer);
  const gname = ownerName(raw, "gname", source, anyLayer);
  const storeDirValue = key(raw, "store_dir", source);
  if (anyPath && !isPyStr(storeDirValue)) throw new ConfError(`${source}: "store_dir" must be a string, not ${pyTypeName(storeDirValue)}`);
  const storeDir = isPyStr(storeDirValue) ? storeDirValue : "";
  const fromImage = key(raw, "from_image", source);
  if (fromImage !== null && !isPyStr(fromImage)) throw new ConfError(`${source}: "from_image" must be null or the path of a base image, not ${pyTypeName(fromImage)}`);
  storeLayers.forEach((layer, i) =>
    layer.forEach((path, k) => {
      if (!path.startsWith(storeDir)) {
        throw new ConfError(`${source}: "store_layers"[${i}][${k}] does not start with store_dir ${JSON.stringify(storeDir)}: ${JSON.stringify(path)}`);
      }
    }),
  );
  return { mtime, owner: { uid, gid, uname, gname }, storeDir, fromImage: fromImage ?? undefined };
}

/**
 * Checks the keys the image is built from; everything else in the conf is
 * ignored, as by the script.  The generation comes from the keys present
 * (see detectGeneration) unless options.generation chooses it.
 */
export function validateConf(raw: PyDict, source: string, options: ValidateOptions = {}): ImageConf {
  const generation = options.generation ?? detectGeneration((name) => raw.has(name), source);
  const rules = generationRules(generation);
  if (options.repoTag !== undefined && !rules.repoTagOption) {
    throw new ConfError(`${source}: --repo_tag exists only in the current script, not the ${generation} one (see --generation)`);
  }
  const created = stringKey(raw, "created", source);
  const layerValues = storeLayerValues(key(raw, "store_layers", source), source);
  const storeLayers = layerValues.map((layer, i) =>
    layerPathValues(layer, i, source).map((path, k) => {
      if (!isPyStr(path)) throw new ConfError(`${source}: "store_layers"[${i}][${k}] must be a string, not ${pyTypeName(path)}`);
      // A fixed prefix; the conf's store_dir is checked where currentKeys reads it, in the script's order.
      if (rules.storePathPrefix !== undefined && !path.startsWith(rules.storePathPrefix)) {
        throw new ConfError(`${source}: "store_layers"[${i}][${k}] is not an absolute store path: ${JSON.stringify(path)}`);
      }
      return path;
    }),
  );
  const current = rules.confKeys.length > 0 ? currentKeys(raw, source, options.python ?? "3.13", storeLayers) : undefined;
  // `args.repo_tag or conf["repo_tag"]`: an empty option falls back, and the key is then not read at all.
  const repoTag = options.repoTag !== undefined && options.repoTag !== "" ? options.repoTag : key(raw, "repo_tag", source);
  return {
    raw,
    created,
    storeLayers,
    storeLayerValues: layerValues,
    customisationLayer: stringKey(raw, "customisation_layer", source),
    architecture: key(raw, "architecture", source),
    config: key(raw, "config", source),
    repoTag,
    generation,
    current,
  };
}
