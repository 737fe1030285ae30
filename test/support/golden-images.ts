/** Reading golden/images/: conf cases, their store, and what the reference did under each profile. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../../src/py/version.ts";
import type { TreeEntry } from "./tree-spec.ts";
import type { ImageCase } from "../fixtures/image-fixtures.ts";
import { GOLDEN_DIR, type ProcessResult } from "./reference.ts";
import { parsePythonJson } from "../../src/py/json/json.ts";
import { validateConf } from "../../src/conf/validate.ts";
import type { PyDict } from "../../src/py/value.ts";

export const IMAGE_GOLDEN_DIR = join(GOLDEN_DIR, "images");

export type ImageOutcome =
  /** The reference wrote an image: files with its stdout and stderr. */
  | { status: 0; image: string; stderr: string }
  /** The reference failed: its exit status, how much it wrote, its last stderr line. */
  | { status: number; stdoutBytes: number; error: string };

export type ImageManifest = Record<string, Partial<Record<PythonVersion, ImageOutcome>>>;

export function readImageFixtures(): { store: TreeEntry[]; cases: ImageCase[] } {
  return JSON.parse(readFileSync(join(IMAGE_GOLDEN_DIR, "fixtures.json"), "utf8")) as { store: TreeEntry[]; cases: ImageCase[] };
}

export function readImageManifest(): ImageManifest {
  return JSON.parse(readFileSync(join(IMAGE_GOLDEN_DIR, "manifest.json"), "utf8")) as ImageManifest;
}

/**
 * The store paths a conf names (its store layers and customisation layer),
 * to ask the fixture store whether the case can run here.  A conf whose
 * keys do not have those shapes names what it can.
 */
export function confPaths(confText: string): string[] {
  let raw: unknown;
  try {
    raw = parsePythonJson(confText);
  } catch {
    return [];
  }
  if (!(raw instanceof Map)) return [];
  try {
    // As the script iterates them: a layer given as a dict names its keys.
    const conf = validateConf(raw as PyDict, "conf.json");
    return [...conf.storeLayers.flat(), conf.customisationLayer];
  } catch {
    // A conf the checks refuse: whatever paths it names.
  }
  const layers = raw.get("store_layers");
  const stored = Array.isArray(layers) ? layers.flatMap((layer: unknown) => (Array.isArray(layer) ? layer.filter((p): p is string => typeof p === "string") : [])) : [];
  const customisation = raw.get("customisation_layer");
  return typeof customisation === "string" ? [...stored, customisation] : stored;
}

/**
 * Reference errors whose text says nothing to repeat, each with what ours
 * must say instead.  The 2020 script's assertion on store paths prints its
 * f-string unformatted (the `f` is missing): ours names the key and that it
 * wants store paths.  The current script fails deep inside Python on bad
 * values (an int has no `encode`, a list no `get`) or inside tarfile on a
 * bad base image: ours names the key or the base image and what is wrong
 * with it, in words of its own.
 */
const REFERENCE_ERROR_MEANINGS: Readonly<Record<string, readonly string[]>> = {
  "AssertionError: Expecting absolute store paths, but got: {invalid_paths}": ['"store_layers"', "store path"],
  // Current script: the conf's keys.
  "KeyError: 'mtime'": ['lacks "mtime"'],
  "KeyError: 'repo_tag'": ['missing key "repo_tag"'],
  "TypeError: fromisoformat: argument must be str": ['"mtime" must be a string'],
  "TypeError: startswith first arg must be str or a tuple of str, not NoneType": ['"store_dir" must be a string, not NoneType'],
  "AssertionError: Expecting absolute paths from /gnu/store, but got: ['/nix/store/7l1fv8m2gw9n3hxap4iybq5jzcr6k0ds-basic', '/nix/store/ds7l1fv8m2gw9n3hxap4iybq5jzcr6k0-a-regular-file']": [
    '"store_layers"',
    'does not start with store_dir "/gnu/store"',
    "/nix/store/7l1fv8m2gw9n3hxap4iybq5jzcr6k0ds-basic",
  ],
  "AttributeError: 'int' object has no attribute 'encode'": ['"uname" must be a string, not int'],
  "UnicodeEncodeError: 'utf-8' codec can't encode character '\\ud800' in position 0: surrogates not allowed": ['"gname"', "lone surrogate"],
  // Current script: the base image and its merge with the conf.
  "TypeError: can only concatenate list (not \"str\") to list": ['"Env" must be lists', "conf: str"],
  "AttributeError: 'list' object has no attribute 'get'": ['"config" must be an object', "not list"],
  "KeyError: \"filename 'manifest.json' not found\"": ["from_image", 'KeyError: filename "manifest.json" not found'],
  "KeyError: \"filename '95c33c00cfdae5670e07652d25d82f3022b2a4806d52a4de4e9ebbe65dea5320/layer.tar' not found\"": [
    "from_image",
    'KeyError: filename "95c33c00cfdae5670e07652d25d82f3022b2a4806d52a4de4e9ebbe65dea5320/layer.tar" not found',
  ],
  "EOFError: Compressed file ended before the end-of-stream marker was reached": ["from_image", "gzip", "truncated"],
  // tarfile.open's "file could not be opened successfully" (3.8-3.9), whose
  // last line from 3.10 on is the plain-tar method's reason.
  "tarfile.ReadError: file could not be opened successfully": ["from_image", "not"],
  "- method tar: ReadError('invalid header')": ["from_image", "not a tar archive"],
  "- method tar: ReadError('truncated header')": ["from_image", "bzip2"],
};

/**
 * What must appear in our error line for it to mean the reference's error
 * (its last stderr line, `Type: message`).  An OSError (`[Errno N] text:
 * 'path'`) means the same when ours names the same failure and path in our
 * words; anything else must be repeated as Python wrote it, type included
 * (ours: `stream-layered-image: "created": ValueError: Invalid isoformat
 * string: '…'`).
 */
export function essentialsOfReferenceError(line: string): readonly string[] {
  const meaning = REFERENCE_ERROR_MEANINGS[line];
  if (meaning !== undefined) return meaning;
  const os = /^(?:\w+Error): \[Errno \d+\] ([^:]+)(?:: '(.*)')?$/.exec(line);
  if (os !== null) return [os[1]!, ...(os[2] !== undefined ? [os[2]] : [])];
  assert.match(line, /^[A-Za-z_][\w.]*: /, `the reference's last stderr line is not a Python exception: ${JSON.stringify(line)}`);
  return [line];
}

/** The problems with our result for a conf the reference rejected, if any. */
export function rejectionProblems(outcome: Extract<ImageOutcome, { error: string }>, ours: ProcessResult): string[] {
  const problems: string[] = [];
  // Every golden conf's failure is known before the first byte: bad input.
  if (ours.status !== 2) problems.push(`exit status ${ours.status}, not 2 (the reference failed with ${outcome.status}: ${outcome.error})`);
  if (ours.stdout.length !== 0) problems.push(`${ours.stdout.length} bytes on stdout, not none`);
  const lines = ours.stderr.split("\n");
  const last = lines.at(-1) === "" ? lines.at(-2) : undefined;
  const errors = lines.filter((line) => line.startsWith("stream-layered-image: "));
  if (last === undefined || errors.length !== 1 || errors[0] !== last) {
    problems.push(`stderr is not one error line at the end: ${JSON.stringify(ours.stderr)}`);
    return problems;
  }
  const missing = essentialsOfReferenceError(outcome.error).filter((part) => !last.includes(part));
  if (missing.length > 0) problems.push(`our error ${JSON.stringify(last)} does not say ${missing.map((m) => JSON.stringify(m)).join(" and ")}, as the reference's ${JSON.stringify(outcome.error)} does`);
  return problems;
}
