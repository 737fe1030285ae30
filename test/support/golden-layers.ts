/** Reading golden/layers/: the fixture data and which file holds each profile's expected bytes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PythonVersion } from "../../src/py/version.ts";
import type { TreeEntry } from "./tree-spec.ts";
import type { LayerCase } from "../fixtures/layer-fixtures.ts";
import { GOLDEN_DIR } from "./reference.ts";

export const LAYER_GOLDEN_DIR = join(GOLDEN_DIR, "layers");

export interface LayerFixtures {
  readonly stores: Record<LayerCase["store"], TreeEntry[]>;
  readonly cases: LayerCase[];
}

/** Per case and profile: a .tar file, or a .sha256.json file {sha256, size} for outputs too large to commit. */
export type LayerManifest = Record<string, Partial<Record<PythonVersion, string>>>;

export function readLayerFixtures(): LayerFixtures {
  return JSON.parse(readFileSync(join(LAYER_GOLDEN_DIR, "fixtures.json"), "utf8")) as LayerFixtures;
}

export function readLayerManifest(): LayerManifest {
  return JSON.parse(readFileSync(join(LAYER_GOLDEN_DIR, "manifest.json"), "utf8")) as LayerManifest;
}
