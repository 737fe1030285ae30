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
 * Reference errors whose text says nothing to repeat: the 2020 script's
 * assertion on store paths prints its f-string unformatted (the `f` is
 * missing), so ours must say what it means instead: which key, and that it
 * wants store paths.
 */
const REFERENCE_ERROR_MEANINGS: Readonly<Record<string, readonly string[]>> = {
  "AssertionError: Expecting absolute store paths, but got: {invalid_paths}": ['"store_layers"', "store path"],
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
