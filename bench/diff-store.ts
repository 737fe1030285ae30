/**
 * The two images of the diff line (bench/diff-images.ts): a generated store
 * of about SIZE MB of text-like files (random words: gzip takes it to about
 * a third), as a big layer (90%) and a small one (10%) and the
 * customisation layer; a second store of hard links to the first in which
 * the big layer's last file is a copy with one byte changed; each image
 * streamed by our CLI and copied by skopeo to an OCI layout (gzip layers).
 * Built once under $SLI_BENCH_DIR/diff-SIZE and reused.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { storePath } from "../test/fixtures/layer-fixtures.ts";
import { Prng } from "../test/support/prng.ts";
import { REPO_ROOT } from "../test/support/reference.ts";
import { runIsolated, succeeded } from "../test/support/isolated-tools.ts";
import { CUSTOMISATION_LAYER, customisationLayer, nixModes, sh, writeConf, type Store } from "./bench-store.ts";

const CLI = join(REPO_ROOT, "dist", "cli.js");
const BIG = storePath(97, "big-data");
const SMALL = storePath(98, "small-data");
const FILE_BYTES = 1 << 20;
const SMALL_FILE_BYTES = 1 << 16;

export interface DiffImages {
  readonly a: Store;
  readonly b: Store;
  /** The OCI layouts, skopeo's copies (gzip layers). */
  readonly layoutA: string;
  readonly layoutB: string;
  /** The changed file, relative to a root. */
  readonly changed: string;
}

/** The big layer's 1 MiB files: 90% of the store. */
function bigFiles(megabytes: number): number {
  return Math.max(1, Math.round(megabytes * 0.9));
}

/** 8 MiB of words from 2048 random ones (2 to 10 letters), spaces and newlines. */
function wordPool(prng: Prng): Buffer {
  const words = Array.from({ length: 2048 }, () => Array.from({ length: 2 + prng.int(9) }, () => String.fromCharCode(97 + prng.int(26))).join(""));
  const parts: string[] = [];
  let length = 0;
  while (length < 8 << 20) {
    const word = prng.pick(words) + (prng.chance(0.1) ? "\n" : " ");
    parts.push(word);
    length += word.length;
  }
  return Buffer.from(parts.join(""), "latin1");
}

/** `count` files of `bytes` each, slices of the pool, in directories of 100. */
function writeFiles(dir: string, count: number, bytes: number, pool: Buffer, prng: Prng): void {
  for (let index = 0; index < count; index++) {
    const sub = join(dir, `d${Math.floor(index / 100)}`);
    if (index % 100 === 0) mkdirSync(sub, { recursive: true });
    const offset = prng.int(pool.length - bytes);
    writeFileSync(join(sub, `f${index}.txt`), pool.subarray(offset, offset + bytes));
  }
}

function generate(a: string, b: string, megabytes: number, changed: string): void {
  const prng = new Prng(21);
  const pool = wordPool(prng);
  process.stderr.write(`bench: writing a ${megabytes} MB store\n`);
  writeFiles(join(a, BIG), bigFiles(megabytes), FILE_BYTES, pool, prng);
  writeFiles(join(a, SMALL), Math.max(1, Math.round((megabytes * 0.1 * (1 << 20)) / SMALL_FILE_BYTES)), SMALL_FILE_BYTES, pool, prng);
  customisationLayer(a);
  nixModes(join(a, "nix", "store"));
  sh(`mkdir -p '${b}' && cp -al '${join(a, "nix")}' '${b}/'`);
  // The changed file: a copy of its own (not a link to the first store's) with its middle byte changed.
  const file = join(b, changed);
  const content = readFileSync(file);
  content.writeUInt8(content.readUInt8(content.length >> 1) ^ 0x20, content.length >> 1);
  rmSync(file);
  writeFileSync(file, content);
  chmodSync(file, 0o444);
}

async function publish(store: Store, layout: string): Promise<void> {
  const archive = `${layout}.tar`;
  const written = spawnSync(process.execPath, [CLI, "--quiet", "--root", store.root, "-o", archive, store.conf], { encoding: "utf8" });
  if (written.status !== 0) throw new Error(`stream-layered-image: ${written.stderr}`);
  process.stderr.write(`bench: skopeo copy to oci:${layout} (gzip layers)\n`);
  succeeded(await runIsolated("skopeo", ["copy", "--quiet", "--dest-compress-format", "gzip", `docker-archive:${archive}`, `oci:${layout}`], 30 * 60_000));
  rmSync(archive, { force: true });
}

export async function diffImages(benchDir: string, megabytes: number): Promise<DiffImages> {
  const dir = join(benchDir, `diff-${megabytes}`);
  const a = join(dir, "a");
  const b = join(dir, "b");
  // The big layer's last file.
  const last = bigFiles(megabytes) - 1;
  const changed = join(BIG, `d${Math.floor(last / 100)}`, `f${last}.txt`);
  const layers = [[BIG], [SMALL]];
  const stores = { a: { root: a, conf: join(a, "conf.json"), paths: [BIG, SMALL] }, b: { root: b, conf: join(b, "conf.json"), paths: [BIG, SMALL] } };
  const images = { ...stores, layoutA: join(dir, "oci-a"), layoutB: join(dir, "oci-b"), changed };
  if (existsSync(join(dir, "complete"))) return images;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  generate(a, b, megabytes, changed);
  for (const root of [a, b]) writeConf(root, layers, CUSTOMISATION_LAYER);
  await publish(stores.a, images.layoutA);
  await publish(stores.b, images.layoutB);
  writeFileSync(join(dir, "complete"), "");
  return images;
}
