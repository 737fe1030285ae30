/**
 * npm run bench [-- --scale]: wall time, ratios and peak RSS of the reference,
 * our CLI and the two-pass floor F2 = `tar -c | openssl dgst -sha256` +
 * `tar -c | cat`, side by side in one run, warm cache, median of 3 rounds.
 * First checks that our image equals the reference's byte for byte.
 * Then `verify` of our image of the realistic store: its wall time and peak
 * RSS (docs/audit.md: `verify` holds neither image in memory), and a gzip
 * from_image's copy against zlib's inflate.
 * --scale adds a store of many small entries and one 8 GiB sparse file.
 * Then the publish line (bench/publish.ts): push vs the skopeo pipeline to a
 * local docker-registry; --publish-only runs just that, --gzip-only the gzip line,
 * --layers99-only the 99-layer line, --stream-only both streaming lines,
 * --scale-only the scale stores, --compress-only layer compression (bench/compress.ts),
 * --audit-only issue 21's two lines: verify of the image in a local registry
 * against skopeo copy (bench/verify-remote.ts), diff of two SLI_BENCH_DIFF_MB
 * images against gzip -dc | sha256sum (bench/diff-images.ts); --audit adds
 * them to the full run (minutes: skopeo gzips the images first).
 * SLI_BENCH_BASELINE and SLI_BENCH_NODES add
 * rows to the streaming lines (moreRows).
 *
 * Needs root (with-store), python3, GNU time, tar, openssl, docker-registry, skopeo.  The store is
 * built once under $SLI_BENCH_DIR (default /tmp/sli-bench) and reused.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, openSync, closeSync, ftruncateSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { basename, join } from "node:path";
import { REFERENCE_DIR, REPO_ROOT, WITH_STORE, referenceUnavailable } from "../test/support/reference.ts";
import { storePath } from "../test/fixtures/layer-fixtures.ts";
import { customisationLayer, nixModes, sh, writeConf, type Store } from "./bench-store.ts";
import { benchCompress } from "./compress.ts";
import { benchDiff } from "./diff-images.ts";
import { benchPublish } from "./publish.ts";
import { benchVerifyRemote } from "./verify-remote.ts";

const BENCH_DIR = process.env.SLI_BENCH_DIR ?? "/tmp/sli-bench";
const ROUNDS = 3;
/** The audit lines' rounds: SLI_BENCH_ROUNDS, else ROUNDS. */
const AUDIT_ROUNDS = Number(process.env["SLI_BENCH_ROUNDS"] ?? ROUNDS);
const CLI = join(REPO_ROOT, "dist", "cli.js");

/** About 1 GB in 65k entries from what the machine has, as three layers. */
function realisticStore(): Store {
  const root = join(BENCH_DIR, "realistic");
  const sources: [string, string][] = [
    [storePath(91, "python3.11-site-packages"), "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages"],
    [storePath(92, "python3.11-stdlib"), "/root/.pyenv/versions/3.11.7/lib/python3.11"],
    [storePath(93, "share-doc"), "/usr/share/doc"],
    [storePath(94, "perl"), "/usr/share/perl"],
  ];
  const paths = sources.map(([path]) => path);
  const marker = join(root, "complete");
  if (!existsSync(marker)) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, "nix", "store"), { recursive: true });
    for (const [path, source] of sources) {
      process.stderr.write(`bench: copying ${source}\n`);
      sh(`cp -a '${source}' '${join(root, path)}'`);
      if (path.endsWith("stdlib")) sh(`rm -rf '${join(root, path, "site-packages")}'`);
      nixModes(join(root, path));
    }
    customisationLayer(root);
    writeFileSync(marker, "");
  }
  const layers = [[paths[0]!], [paths[1]!], [paths[2]!, paths[3]!]];
  return { root, conf: writeConf(root, layers, storePath(90, "customisation-layer")), paths };
}

/**
 * The realistic store cut the way nixpkgs layers images: every top-level
 * entry of its four trees becomes a store path of its own (hard links, no
 * copy), and the paths, in name order, are dealt into 99 store layers like
 * cards (nixpkgs' default maxLayers of 100, less the customisation layer).
 */
function layered99Store(realistic: Store): Store {
  const root = join(BENCH_DIR, "layered99");
  const paths: string[] = [];
  const marker = join(root, "complete");
  const sources = realistic.paths.flatMap((parent) => readdirSync(join(realistic.root, parent)).sort().map((child) => join(parent, child)));
  sources.forEach((source, index) => {
    const hash = [...createHash("sha256").update(`layered99-${index}`).digest()].slice(0, 32).map((byte) => "0123456789abcdfghijklmnpqrsvwxyz"[byte % 32]).join("");
    paths.push(`/nix/store/${hash}-${basename(source).replace(/[^A-Za-z0-9+._?=-]/g, "-").replace(/^\./, "_")}`);
  });
  if (!existsSync(marker)) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(root, "nix", "store"), { recursive: true });
    process.stderr.write(`bench: linking ${sources.length} store paths for the 99-layer cut\n`);
    sources.forEach((source, index) => sh(`cp -al '${join(realistic.root, source)}' '${join(root, paths[index]!)}'`));
    sh(`cp -a '${join(realistic.root, storePath(90, "customisation-layer"))}' '${join(root, "nix", "store")}/'`);
    writeFileSync(marker, "");
  }
  const layers: string[][] = Array.from({ length: 99 }, () => []);
  paths.forEach((path, index) => layers[index % 99]!.push(path));
  return { root, conf: writeConf(root, layers, storePath(90, "customisation-layer")), paths };
}

/** `count` small files in directories of 1000, one layer. */
function manyEntriesStore(count: number): Store {
  const root = join(BENCH_DIR, `entries-${count}`);
  const path = storePath(95, `entries-${count}`);
  if (!existsSync(join(root, "complete"))) {
    rmSync(root, { recursive: true, force: true });
    process.stderr.write(`bench: creating ${count} small files\n`);
    sh(`mkdir -p '${join(root, path)}' && cd '${join(root, path)}' && for d in $(seq 0 $(( (${count} - 1) / 1000 ))); do mkdir d$d; (cd d$d && seq 1 1000 | xargs -n 1000 touch); done`);
    customisationLayer(root);
    writeFileSync(join(root, "complete"), "");
  }
  return { root, conf: writeConf(root, [[path]], storePath(90, "customisation-layer")), paths: [path] };
}

function sparseStore(): Store {
  const root = join(BENCH_DIR, "sparse");
  const path = storePath(96, "sparse-8gib");
  if (!existsSync(join(root, "complete"))) {
    mkdirSync(join(root, path), { recursive: true });
    const fd = openSync(join(root, path, "big"), "w");
    ftruncateSync(fd, 8 * 1024 ** 3);
    writeSync(fd, Buffer.from("start"), 0, 5, 0);
    closeSync(fd);
    customisationLayer(root);
    writeFileSync(join(root, "complete"), "");
  }
  return { root, conf: writeConf(root, [[path]], storePath(90, "customisation-layer")), paths: [path] };
}

interface Measurement {
  readonly seconds: number;
  readonly peakRssKb: number | undefined;
}

/** Runs `script` under GNU time; the last stderr line is "<elapsed> <maxrss>". */
function measure(script: string): Measurement {
  const result = spawnSync("bash", ["-c", script], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`bench command failed (${result.status}): ${script}\n${result.stderr}`);
  const match = /([\d.]+) (\d+)\s*$/.exec(result.stderr);
  if (match === null) throw new Error(`no timing in: ${result.stderr}`);
  return { seconds: Number(match[1]), peakRssKb: Number(match[2]) };
}

const TIME = "/usr/bin/time -f '%e %M'";

function reference(store: Store): string {
  return `${TIME} '${WITH_STORE}' '${store.root}' -- python3 '${join(REFERENCE_DIR, "stream_layered_image.py")}' '${store.conf}' 2>&1 >/dev/null | tail -1 >&2`;
}

/**
 * `node` may be a shell prefix: `env SLI_HASH_PLACEMENT=thread /path/to/node`.
 * Cold by default (`--no-digest-cache`: both passes, as before the digest
 * cache was the stream's default); a baseline checkout from before that
 * takes no cache flag (`flags` "").
 */
function ours(store: Store, node = "node", cli = CLI, flags = "--no-digest-cache"): string {
  return `${TIME} ${node} '${cli}' ${flags} --root '${store.root}' '${store.conf}' 2>&1 >/dev/null | tail -1 >&2`;
}

/** The digest cache of the warm rows: filled by the page-cache warm-up run, then only read. */
function warmCache(store: Store): string {
  return join(BENCH_DIR, "digest-cache", basename(store.root));
}

/**
 * More rows of our CLI, measured in the same rounds: SLI_BENCH_BASELINE
 * names another checkout's dist/cli.js (a before/after comparison), and
 * SLI_BENCH_NODES lists `LABEL|COMMAND;...`, COMMAND a Node's path or a
 * shell prefix ending with one and its flags (`env SLI_HASH_PLACEMENT=thread
 * /path/node --max-semi-space-size=1`): each supported Node, and the memory
 * levers under each.
 */
function moreRows(store: Store): Record<string, string> {
  const rows: Record<string, string> = {};
  const baseline = process.env["SLI_BENCH_BASELINE"];
  if (baseline !== undefined && baseline !== "") rows["baseline"] = ours(store, "node", baseline, process.env["SLI_BENCH_BASELINE_FLAGS"] ?? "");
  rows["ours, warm (the digest cache a first run filled)"] = ours(store, "node", CLI, `--digest-cache '${warmCache(store)}'`);
  for (const item of (process.env["SLI_BENCH_NODES"] ?? "").split(";").filter((text) => text.trim() !== "")) {
    const bar = item.indexOf("|");
    if (bar < 0) throw new Error(`SLI_BENCH_NODES: ${JSON.stringify(item)} is not LABEL|COMMAND`);
    rows[`ours, ${item.slice(0, bar).trim()}`] = ours(store, item.slice(bar + 1).trim());
  }
  return rows;
}

/** The store paths, relative to the root, one per line (99 layers' worth is too long for one command line). */
function pathList(store: Store): string {
  const list = join(store.root, "paths.txt");
  writeFileSync(list, store.paths.map((p) => p.slice(1)).join("\n") + "\n");
  return list;
}

/** F2: what any hash-then-stream design must at least do. */
function floor(store: Store): string {
  const list = pathList(store);
  return `start=$(date +%s.%N); tar -C '${store.root}' -cf - -T '${list}' | openssl dgst -sha256 >/dev/null; tar -C '${store.root}' -cf - -T '${list}' | cat >/dev/null; end=$(date +%s.%N); echo "$(echo "$end - $start" | bc) 0" >&2`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sha256Of(script: string): string {
  return sh(`${script} 2>/dev/null | sha256sum`).split(" ")[0]!;
}

function imageBytes(store: Store): number {
  return Number(sh(`node '${CLI}' --root '${store.root}' '${store.conf}' 2>/dev/null | wc -c`).trim());
}

function compareWithReference(store: Store): void {
  const theirs = sha256Of(`'${WITH_STORE}' '${store.root}' -- python3 '${join(REFERENCE_DIR, "stream_layered_image.py")}' '${store.conf}'`);
  const mine = sha256Of(`node '${CLI}' --root '${store.root}' '${store.conf}'`);
  if (theirs !== mine) throw new Error(`output differs from the reference: ${theirs} vs ${mine}`);
  process.stderr.write(`bench: our image equals the reference's (sha256 ${mine})\n`);
}

function benchStore(label: string, store: Store, withReference: boolean): void {
  if (withReference) compareWithReference(store);
  const bytes = imageBytes(store);
  const entries = Number(sh(`cd '${store.root}' && xargs -d '\\n' -a '${pathList(store)}' find | wc -l`).trim());
  // Warm the page cache once before timing, and fill the warm rows' digest cache.
  measure(floor(store));
  rmSync(warmCache(store), { recursive: true, force: true });
  measure(ours(store, "node", CLI, `--digest-cache '${warmCache(store)}'`));
  const extra = moreRows(store);
  const rows: Record<string, Measurement[]> = { reference: [], ours: [], F2: [], ...Object.fromEntries(Object.keys(extra).map((name) => [name, []])) };
  for (let round = 0; round < ROUNDS; round++) {
    if (withReference) rows.reference!.push(measure(reference(store)));
    rows.ours!.push(measure(ours(store)));
    for (const [name, script] of Object.entries(extra)) rows[name]!.push(measure(script));
    rows.F2!.push(measure(floor(store)));
  }
  const wall = (name: string) => median(rows[name]!.map((m) => m.seconds));
  const rss = (name: string) => Math.max(...rows[name]!.map((m) => m.peakRssKb ?? 0));
  console.log(`\n## ${label}: ${(bytes / 1e9).toFixed(2)} GB image, ${entries} entries`);
  console.log("| run | wall (median of 3) | peak RSS | throughput |");
  console.log("|---|---|---|---|");
  for (const name of [...(withReference ? ["reference"] : []), "ours", ...Object.keys(extra), "F2"]) {
    const peak = name === "F2" ? "–" : `${(rss(name) / 1024).toFixed(0)} MB`;
    console.log(`| ${name} | ${wall(name).toFixed(2)} s | ${peak} | ${(bytes / 1e6 / wall(name)).toFixed(0)} MB/s |`);
  }
  console.log(`\nours / F2 = ${(wall("ours") / wall("F2")).toFixed(2)}` + (withReference ? `, reference / ours = ${(wall("reference") / wall("ours")).toFixed(2)}` : ""));
  for (const name of Object.keys(extra)) console.log(`${name} / F2 = ${(wall(name) / wall("F2")).toFixed(2)}, peak RSS ${(rss(name) / 1024).toFixed(0)} MB` + (withReference ? ` (reference: ${(rss("reference") / 1024).toFixed(0)} MB)` : ""));
  console.log(`per entry: ${((wall("ours") / entries) * 1e6).toFixed(1)} µs; per GB: ${(wall("ours") / (bytes / 1e9)).toFixed(2)} s`);
  warmFirstByte(store);
}

/**
 * Seconds from spawning ours (a warm stream) to its first byte on a pipe,
 * timed by a Node parent on the first 'data' event (the child is then
 * ended): what a reader such as `docker load` waits before it gets anything.
 */
function firstByteSeconds(store: Store): number {
  const args = JSON.stringify([CLI, "--quiet", "--digest-cache", warmCache(store), "--root", store.root, store.conf]);
  const timer = `const { spawn } = require("node:child_process"); const start = process.hrtime.bigint(); const child = spawn(process.execPath, ${args}, { stdio: ["ignore", "pipe", "inherit"] }); child.stdout.once("data", () => { console.log(Number(process.hrtime.bigint() - start) / 1e9); child.kill(); });`;
  const result = spawnSync(process.execPath, ["-e", timer], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`first byte timing failed: ${result.stderr}`);
  return Number(result.stdout.trim());
}

/**
 * The warm stream's first byte (median of ROUNDS), and one store path
 * changed in place (a byte appended to one file of the smallest store
 * layer, then cut off again): only its layer is hashed again.
 */
function warmFirstByte(store: Store): void {
  const times = Array.from({ length: ROUNDS }, () => firstByteSeconds(store));
  console.log(`warm stream, first byte (from spawning ours to its first byte on a pipe, ${process.version}): ${median(times).toFixed(2)} s (target < 0.5 s)`);
  const file = smallestLayerFile(store);
  if (file === undefined) return;
  const { mode, size } = statSync(file);
  sh(`chmod u+w '${file}' && printf x >> '${file}' && chmod '${(mode & 0o7777).toString(8)}' '${file}'`);
  try {
    const changed = measure(ours(store, "node", CLI, `--digest-cache '${warmCache(store)}'`));
    console.log(`warm stream with one store path changed (${file.slice(store.root.length)}): ${changed.seconds.toFixed(2)} s (its layer hashed again, the others from the cache)`);
  } finally {
    sh(`chmod u+w '${file}' && truncate -s ${size} '${file}' && chmod '${(mode & 0o7777).toString(8)}' '${file}'`);
  }
}

/** A regular file of the store layer with the fewest bytes (its first store path). */
function smallestLayerFile(store: Store): string | undefined {
  const sizes = store.paths.map((path) => ({ path, bytes: Number(sh(`du -sb '${join(store.root, path)}'`).split("\t")[0]) }));
  const smallest = sizes.sort((a, b) => a.bytes - b.bytes)[0];
  if (smallest === undefined) return undefined;
  const found = sh(`find '${join(store.root, smallest.path)}' -type f -size +0 | sort | head -1`).trim();
  return found === "" ? undefined : found;
}

/** `verify CONF IMAGE` compares as it reads, in constant memory: its peak RSS on this store's image. */
function benchVerify(label: string, store: Store): void {
  const image = join(BENCH_DIR, "verify-image.tar");
  sh(`node '${CLI}' --quiet --root '${store.root}' -o '${image}' '${store.conf}'`);
  try {
    const bytes = statSync(image).size;
    // measure() fails unless verify exits 0 ("identical").
    const run = measure(`${TIME} node '${CLI}' verify --root '${store.root}' '${store.conf}' '${image}' 2>&1 >/dev/null | tail -1 >&2; exit \${PIPESTATUS[0]}`);
    console.log(`\nverify (${label}): ${(bytes / 1e9).toFixed(2)} GB image, ${run.seconds.toFixed(2)} s, peak RSS ${((run.peakRssKb ?? 0) / 1024).toFixed(0)} MB`);
  } finally {
    rmSync(image, { force: true });
  }
}

/**
 * A current conf whose from_image is the realistic store as one gzip base
 * layer (gzip -1), no store layer: the copy of a base image's layers against
 * Node's zlib inflating the same file to nowhere, with its default chunks
 * and with 1 MiB ones; checked against the current script when
 * SLI_CURRENT_REFERENCE names it.
 */
function benchGzipBase(store: Store): void {
  const dir = join(BENCH_DIR, "gzip-base");
  const gzip = join(dir, "base.tar.gz");
  if (!existsSync(gzip)) {
    mkdirSync(dir, { recursive: true });
    const oneLayer = join(dir, "base-conf.json");
    writeFileSync(oneLayer, JSON.stringify({ ...JSON.parse(sh(`cat '${store.conf}'`)), store_layers: [store.paths] }));
    sh(`node '${CLI}' --quiet --root '${store.root}' -o '${dir}/base.tar' '${oneLayer}' && gzip -1 -k -f '${dir}/base.tar'`);
  }
  const conf = join(dir, "conf.json");
  const custom = (JSON.parse(sh(`cat '${store.conf}'`)) as { customisation_layer: string }).customisation_layer;
  writeFileSync(
    conf,
    JSON.stringify({
      architecture: "amd64", config: { Cmd: ["/bin/sh"] }, created: "2024-01-01T00:00:00+00:00", mtime: "2024-01-01T00:00:00+00:00", repo_tag: "bench:gzip",
      store_layers: [], customisation_layer: custom, store_dir: "/nix/store", from_image: gzip, uid: 0, gid: 0, uname: "root", gname: "root",
    }),
  );
  const current = process.env.SLI_CURRENT_REFERENCE;
  if (current !== undefined && current !== "") {
    const theirs = sha256Of(`'${WITH_STORE}' '${store.root}' -- python3 '${current}' '${conf}'`);
    const mine = sha256Of(`node '${CLI}' --root '${store.root}' '${conf}'`);
    if (theirs !== mine) throw new Error(`gzip base: output differs from the current script: ${theirs} vs ${mine}`);
    process.stderr.write(`bench: gzip base image equals the current script's (sha256 ${mine})\n`);
  } else process.stderr.write("bench: SLI_CURRENT_REFERENCE unset: the gzip base image is not compared with the current script\n");
  const inflate = (chunk: number) => `${TIME} node '${join(REPO_ROOT, "build", "bench", "inflate.js")}' '${gzip}' ${chunk} 2>&1 | tail -1 >&2`;
  const runs: Record<string, string> = { ours: ours({ ...store, conf }), "zlib inflate, default 16 KiB chunks": inflate(16384), "zlib inflate, 1 MiB chunks": inflate(1 << 20) };
  measure(runs["zlib inflate, 1 MiB chunks"]!);
  const rows: Record<string, Measurement[]> = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [name, script] of Object.entries(runs)) rows[name]!.push(measure(script));
  const wall = (name: string) => median(rows[name]!.map((m) => m.seconds));
  console.log(`\n## gzip base image: ${(statSync(gzip).size / 1e6).toFixed(0)} MB gzip (-1) of ${(statSync(gzip.replace(/\.gz$/, "")).size / 1e9).toFixed(2)} GB, no store layer`);
  console.log("| run | wall (median of 3) | peak RSS |");
  console.log("|---|---|---|");
  for (const name of Object.keys(runs)) console.log(`| ${name} | ${wall(name).toFixed(2)} s | ${(Math.max(...rows[name]!.map((m) => m.peakRssKb ?? 0)) / 1024).toFixed(0)} MB |`);
  console.log(`\nours / inflate (16 KiB) = ${(wall("ours") / wall("zlib inflate, default 16 KiB chunks")).toFixed(2)}, ours / inflate (1 MiB) = ${(wall("ours") / wall("zlib inflate, 1 MiB chunks")).toFixed(2)}`);
  const splits = Array.from({ length: ROUNDS }, () => JSON.parse(execFileSync(process.execPath, [join(REPO_ROOT, "build", "bench", "gzip-split.js"), store.root, conf], { encoding: "utf8" })) as { prepareSeconds: number; copySeconds: number; bytes: number });
  const prepare = median(splits.map((split) => split.prepareSeconds));
  const copy = median(splits.map((split) => split.copySeconds));
  console.log(`library, in-process: decompression and checks ${prepare.toFixed(2)} s (${(prepare / wall("zlib inflate, 1 MiB chunks")).toFixed(2)} of the 1 MiB inflate), then the layers copied in ${copy.toFixed(2)} s (${(splits[0]!.bytes / 1e9 / copy).toFixed(1)} GB/s)`);
}

/** The library's async API on the same store: the longest stall of a 10 ms timer in the caller's event loop. */
function eventLoopGap(store: Store): void {
  const { seconds, ticks, longestGapMs } = JSON.parse(execFileSync(process.execPath, [join(REPO_ROOT, "build", "bench", "event-loop-gap.js"), store.root, store.conf], { encoding: "utf8" })) as {
    seconds: number;
    ticks: number;
    longestGapMs: number;
  };
  console.log(`\nasync API (streamImage to /dev/null in ${seconds.toFixed(2)} s): a 10 ms setInterval in the caller's event loop fired ${ticks} times, longest gap ${longestGapMs.toFixed(1)} ms`);
}

/** Issue 21's audit lines: verify of the image published to a local registry, and diff of two large images. */
async function benchAudit(realistic: Store): Promise<void> {
  await benchVerifyRemote(realistic, AUDIT_ROUNDS);
  await benchDiff(AUDIT_ROUNDS);
}

async function main(): Promise<void> {
  console.log(`# stream-layered-image benchmark, ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? "?"} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  // --publish-only: just the publish line (needs docker-registry and skopeo, not the reference).
  if (process.argv.includes("--publish-only")) {
    const store = realisticStore();
    await benchPublish({ ...store, smallFile: smallestLayerFile(store) }, ROUNDS);
    return;
  }
  // --stream-only: just the two streaming lines (3 and 99 layers), e.g. with SLI_BENCH_BASELINE or SLI_BENCH_NODES rows.
  if (process.argv.includes("--stream-only")) {
    const realistic = realisticStore();
    benchStore("realistic store, 3 layers", realistic, true);
    benchStore("realistic store, 99 layers", layered99Store(realistic), true);
    return;
  }
  // --layers99-only: just the 99-layer line.
  if (process.argv.includes("--layers99-only")) {
    benchStore("realistic store, 99 layers", layered99Store(realisticStore()), !process.argv.includes("--no-reference"));
    return;
  }
  // --scale-only: just the scale stores (many entries, sparse file).
  if (process.argv.includes("--scale-only")) {
    const count = Number(process.env.SLI_BENCH_ENTRIES ?? 1_000_000);
    benchStore(`${count} small entries`, manyEntriesStore(count), false);
    benchStore("one 8 GiB sparse file", sparseStore(), false);
    return;
  }
  // --compress-only: just layer compression against gzip, pigz and zstd.
  if (process.argv.includes("--compress-only")) {
    await benchCompress();
    return;
  }
  // --gzip-only: just the gzip base image line.
  if (process.argv.includes("--gzip-only")) {
    benchGzipBase(realisticStore());
    return;
  }
  // --audit-only: just issue 21's verify-from-a-registry and diff lines (docker-registry and skopeo, not the reference).
  if (process.argv.includes("--audit-only")) {
    await benchAudit(realisticStore());
    return;
  }
  const problem = referenceUnavailable();
  if (problem !== undefined) throw new Error(`bench needs the reference: ${problem}`);
  const realistic = realisticStore();
  benchStore("realistic store, 3 layers", realistic, true);
  benchStore("realistic store, 99 layers", layered99Store(realistic), true);
  eventLoopGap(realistic);
  benchVerify("realistic store", realistic);
  benchGzipBase(realistic);
  await benchPublish({ ...realistic, smallFile: smallestLayerFile(realistic) }, ROUNDS);
  if (process.argv.includes("--audit")) await benchAudit(realistic);
  if (process.argv.includes("--scale")) {
    const count = Number(process.env.SLI_BENCH_ENTRIES ?? 1_000_000);
    benchStore(`${count} small entries`, manyEntriesStore(count), false);
    benchStore("one 8 GiB sparse file", sparseStore(), false);
  }
}

await main();
