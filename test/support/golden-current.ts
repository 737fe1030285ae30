/** Reading golden/current/: the current script's conf cases, their store, and what it did under each profile. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../../src/py/version.ts";
import type { TreeEntry } from "./tree-spec.ts";
import type { CurrentCase } from "../fixtures/current-fixtures.ts";
import type { ImageOutcome } from "./golden-images.ts";
import { GOLDEN_DIR } from "./reference.ts";

export const CURRENT_GOLDEN_DIR = join(GOLDEN_DIR, "current");

export type CurrentManifest = Record<string, Partial<Record<PythonVersion, ImageOutcome>>>;

export function readCurrentFixtures(): { store: TreeEntry[]; cases: CurrentCase[] } {
  return JSON.parse(readFileSync(join(CURRENT_GOLDEN_DIR, "fixtures.json"), "utf8")) as { store: TreeEntry[]; cases: CurrentCase[] };
}

export function readCurrentManifest(): CurrentManifest {
  return JSON.parse(readFileSync(join(CURRENT_GOLDEN_DIR, "manifest.json"), "utf8")) as CurrentManifest;
}
