/**
 * A small image for the library-level tests of the async API, the hasher
 * pool and the sinks: two store layers of several 1 MiB chunks each (so
 * every pass has several steps) and a customisation layer.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { validateConf, type ImageConf } from "../../src/conf/validate.ts";
import { parseConfText } from "../../src/conf/read.ts";
import { storePath } from "../fixtures/layer-fixtures.ts";
import type { TreeEntry } from "./tree-spec.ts";
import { makeFixtureStore, type FixtureStore } from "./fixture-store.ts";

const MiB = 1 << 20;
const custom = storePath(60, "customisation-layer");
const layers = [storePath(61, "async-a"), storePath(62, "async-b")];

/** Store layers' content in 1 MiB chunks: at least this many chunks per pass. */
export const SMALL_IMAGE_CHUNKS = 8;

export const SMALL_IMAGE_ENTRIES: TreeEntry[] = [
  { path: `${custom}/layer.tar`, type: "file", repeat: { text: "\0", count: 10240 } },
  { path: `${custom}/checksum`, type: "file", text: createHash("sha256").update(Buffer.alloc(10240)).digest("hex") },
  { path: `${layers[0]}/data`, type: "file", repeat: { text: "a", count: 5 * MiB } },
  { path: `${layers[1]}/data`, type: "file", repeat: { text: "b", count: 3 * MiB } },
  { path: `${layers[1]}/small`, type: "file", text: "small\n" },
];

export function smallImageConf(): ImageConf {
  const text = JSON.stringify({ architecture: "amd64", config: {}, created: "2024-01-01T00:00:00+00:00", repo_tag: "async:1", store_layers: layers.map((path) => [path]), customisation_layer: custom });
  return validateConf(parseConfText(text, "conf.json", "3.13"), "conf.json");
}

/** The small image's store, built under a fresh root, with its conf written there as conf.json (for the CLI). */
export function makeSmallImageStore(label: string): { store: FixtureStore; confPath: string } {
  const store = makeFixtureStore(SMALL_IMAGE_ENTRIES, label);
  const confPath = join(store.root, "conf.json");
  writeFileSync(confPath, JSON.stringify(Object.fromEntries(smallImageConf().raw)));
  return { store, confPath };
}
