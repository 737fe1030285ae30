/**
 * The warm-stream tests' store and runner: three store layers (the first
 * over one output chunk, so bytes leave before a later layer is checked)
 * and a conf, and the image command run in this process with its
 * preparation watched: which layers were hashed (progress events) and
 * which came from the digest cache.  The cache directory is the caller's.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyingWritable } from "./cli-in-process.ts";
import { makeFixtureStore, type FixtureStore } from "./fixture-store.ts";
import { storePath } from "../fixtures/layer-fixtures.ts";
import type { TreeEntry } from "./tree-spec.ts";
import { runImageCommand } from "../../src/cli/run.ts";
import { prepareImageAsync } from "../../src/image/image.ts";
import type { ProgressEvent } from "../../src/passes/progress-event.ts";
import type { CachedDigest } from "../../src/passes/digest-cache.ts";

export const BIG = storePath(50, "big");
export const EDITED = storePath(51, "edited");
export const SMALL = storePath(52, "small");
const CUSTOM = storePath(53, "customisation");
/** The edited store path's file, as read below the store's root. */
export const EDITED_FILE = `${EDITED}/bin/tool`;

const ENTRIES: TreeEntry[] = [
  { path: `${BIG}/share/data`, type: "file", repeat: { text: "big layer line\n", count: 200_000 } },
  { path: EDITED_FILE, type: "file", mode: "0555", text: "first version\n" },
  { path: `${SMALL}/etc/small`, type: "file", text: "small\n" },
  { path: `${CUSTOM}/layer.tar`, type: "file", text: "layer" },
  { path: `${CUSTOM}/checksum`, type: "file", text: "c".repeat(64) },
];

export interface WarmStore extends FixtureStore {
  readonly conf: string;
}

export function makeWarmStore(label: string): WarmStore {
  const store = makeFixtureStore(ENTRIES, label);
  const conf = join(store.root, "conf.json");
  const text = { architecture: "amd64", config: {}, created: "2024-01-01T00:00:00+00:00", repo_tag: "warm:1", store_layers: [[BIG], [EDITED], [SMALL]], customisation_layer: CUSTOM };
  writeFileSync(conf, JSON.stringify(text));
  return { ...store, conf };
}

export interface ImageRun {
  readonly status: number;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Store layers whose hash pass ran (a "hashing" progress event). */
  readonly hashed: ReadonlySet<number>;
  /** Layer indexes whose digests came from the digest cache. */
  readonly cached: ReadonlySet<number>;
}

/** The image command (`stream-layered-image ARGS`) in this process, its preparation watched. */
export async function runImage(args: readonly string[]): Promise<ImageRun> {
  const stdout = copyingWritable();
  let stderr = "";
  const hashed = new Set<number>();
  let cached: ReadonlySet<number> = new Set();
  const progress = (event: ProgressEvent): void => {
    if (event.phase === "hashing") hashed.add(event.layer);
  };
  const status = await runImageCommand(args, { stdout, stderr: (text) => (stderr += text) }, async (conf, options) => {
    const image = await prepareImageAsync(conf, { ...options, progress });
    cached = image.cachedLayers;
    return image;
  });
  return { status, stdout: stdout.bytes(), stderr, hashed, cached };
}

/** An entry file of the cache directory, parsed. */
export interface EntryFile extends CachedDigest {
  readonly key: string;
  readonly paths: readonly string[];
}

export function entryFiles(dir: string): EntryFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith(".json")).map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as EntryFile);
}

/** The entry of the layer holding `path`. */
export function entryOf(dir: string, path: string): EntryFile {
  const found = entryFiles(dir).find((entry) => entry.paths.includes(path));
  if (found === undefined) throw new Error(`no digest cache entry for ${path} in ${dir}`);
  return found;
}
