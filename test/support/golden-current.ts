/** Reading golden/current/: the current script's conf cases, their store, and what it did under each profile. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../../src/py/version.js";
import type { TreeEntry } from "./tree-spec.js";
import type { CurrentCase } from "../fixtures/current-fixtures.js";
import type { ImageOutcome } from "./golden-images.js";
import { GOLDEN_DIR } from "./reference.js";

export const CURRENT_GOLDEN_DIR = join(GOLDEN_DIR, "current");

export type CurrentManifest = Record<string, Partial<Record<PythonVersion, ImageOutcome>>>;

export function readCurrentFixtures(): { store: TreeEntry[]; cases: CurrentCase[] } {
  return JSON.parse(readFileSync(join(CURRENT_GOLDEN_DIR, "fixtures.json"), "utf8")) as { store: TreeEntry[]; cases: CurrentCase[] };
}

export function readCurrentManifest(): CurrentManifest {
  return JSON.parse(readFileSync(join(CURRENT_GOLDEN_DIR, "manifest.json"), "utf8")) as CurrentManifest;
}
