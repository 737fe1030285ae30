/** Reading golden/images/: conf cases, their store, and what the reference did under each profile. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../../src/py/version.js";
import type { TreeEntry } from "./tree-spec.js";
import type { ImageCase } from "../fixtures/image-fixtures.js";
import { GOLDEN_DIR } from "./reference.js";

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
