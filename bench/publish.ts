/**
 * The publish lines of `npm run bench`: pushing the bench store's image to a
 * local docker-registry (plain HTTP on loopback), per compression (gzip and
 * zstd, at the default level of `push`), side by side in one run:
 *
 * - pipeline: `stream-layered-image -o image.tar conf && skopeo copy
 *   --dest-compress-format F --dest-compress-level N docker-archive:image.tar
 *   docker://…` (zstd also `--format oci`: Docker schema 2 has no zstd).
 *   `conf | skopeo copy docker-archive:/dev/stdin` fails with Debian's skopeo
 *   1.9 ("loading tar component manifest.json: invalid tar header": for an
 *   uncompressed archive it opens the path again for each part), so the
 *   archive goes through a file, which only makes the pipeline faster.
 *   skopeo runs with a blob-info cache of its own each time (a tmpfs over
 *   /var/lib/containers/cache in a private mount namespace): its machine-wide
 *   cache would otherwise mount blobs an earlier round uploaded;
 * - ours: `stream-layered-image push --compress F --compress-level N conf
 *   docker://…`, its digest and blob caches emptied at each round's start.
 *
 * Each round pushes to fresh repositories (a first push uploads every
 * layer), then the same conf again to the same repository (a second push:
 * ours with the caches the first filled).  Bytes sent: the blob sizes the
 * first pushes' manifests list.  Then one
 * store path is changed in place (a byte appended to one file of the
 * smallest store layer, removed again at the end): only its layer is
 * compressed and uploaded again.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, rmSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../test/support/reference.ts";
import { startRegistry } from "../test/support/registry.ts";

const CLI = join(REPO_ROOT, "dist", "cli.js");

export interface PublishStore {
  readonly root: string;
  readonly conf: string;
  /** A regular file of the smallest store layer, to change in place for the one-changed-path line. */
  readonly smallFile?: string;
}

interface Compression {
  readonly name: string;
  readonly skopeo: string;
  readonly ours: string;
}

/** push's defaults (docs/publish.md), and skopeo told the same format and level. */
const COMPRESSIONS: readonly Compression[] = [
  { name: "gzip level 5", skopeo: "--dest-compress-format gzip --dest-compress-level 5", ours: "--compress gzip --compress-level 5" },
  { name: "zstd level 3", skopeo: "--format oci --dest-compress-format zstd --dest-compress-level 3", ours: "--compress zstd --compress-level 3" },
];

/** skopeo with a blob-info cache of its own (see the file comment). */
const ISOLATED = `unshare --mount --propagation private sh -c 'mount -t tmpfs sli-blob-cache /var/lib/containers/cache && exec "$@"' sh`;

function run(script: string): { seconds: number; stderr: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync("bash", ["-c", script], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`bench command failed (${result.status}): ${script}\n${result.stderr}`);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, stderr: result.stderr };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Commands {
  pipeline(target: string, compression: Compression): string;
  push(target: string, compression: Compression, quiet?: boolean): string;
  clearCaches(): void;
}

function commands(store: PublishStore, dir: string): Commands {
  const archive = join(dir, "image.tar");
  const cache = join(dir, "caches");
  return {
    pipeline: (target, compression) =>
      `node '${CLI}' --quiet --no-digest-cache --root '${store.root}' -o '${archive}' '${store.conf}' && ${ISOLATED} skopeo copy --quiet --dest-tls-verify=false ${compression.skopeo} 'docker-archive:${archive}' '${target}' && rm -f '${archive}'`,
    push: (target, compression, quiet = true) => `node '${CLI}' push ${quiet ? "--quiet" : ""} ${compression.ours} --digest-cache '${cache}' --root '${store.root}' '${store.conf}' '${target}' >/dev/null`,
    clearCaches: () => rmSync(cache, { recursive: true, force: true }),
  };
}

async function timedRounds(endpoint: string, compression: Compression, run3: Commands, rounds: number): Promise<Record<string, number[]>> {
  const rows: Record<string, number[]> = {};
  const time = (name: string, script: string): void => void (rows[name] ??= []).push(run(script).seconds);
  const tag = compression.name.split(" ")[0]!;
  for (let round = 0; round < rounds; round++) {
    run3.clearCaches();
    time("pipeline, first", run3.pipeline(`docker://${endpoint}/pipeline-${tag}${round}/app:1`, compression));
    time("push, first (empty caches)", run3.push(`docker://${endpoint}/push-${tag}${round}/app:1`, compression));
    time("pipeline, second", run3.pipeline(`docker://${endpoint}/pipeline-${tag}${round}/app:2`, compression));
    time("push, second (the caches the first filled)", run3.push(`docker://${endpoint}/push-${tag}${round}/app:2`, compression));
  }
  return rows;
}

/**
 * What each first push sent of the image: the sizes of the blobs its
 * manifest lists (every layer and the config, each uploaded once in a first
 * push), as the registry holds them.  (A counting proxy in front of the
 * registry hung skopeo's chunked uploads in this bench, so the blobs are
 * counted where they landed.)
 */
function bytesSent(endpoint: string, compression: Compression): { pipeline: number; ours: number } {
  const tag = compression.name.split(" ")[0]!;
  const size = (repository: string): number => {
    const manifest = JSON.parse(spawnSync("bash", ["-c", `${ISOLATED} skopeo inspect --raw --tls-verify=false 'docker://${endpoint}/${repository}'`], { encoding: "utf8" }).stdout) as { config: { size: number }; layers: { size: number }[] };
    return manifest.config.size + manifest.layers.reduce((total, layer) => total + layer.size, 0);
  };
  return { pipeline: size(`pipeline-${tag}0/app:1`), ours: size(`push-${tag}0/app:1`) };
}

function printCompression(compression: Compression, rows: Record<string, number[]>, bytes: { pipeline: number; ours: number }): void {
  const wall = (name: string) => median(rows[name]!);
  const first = wall("pipeline, first");
  const rounds = rows["pipeline, first"]!.length;
  console.log(`\n## publish, ${compression.name}: push vs \`stream-layered-image -o image.tar conf && skopeo copy ${compression.skopeo} docker-archive:image.tar docker://…\`, local docker-registry, node ${process.version}`);
  console.log(`| run | wall, median of ${rounds} | range | / pipeline's first |`);
  console.log("|---|---|---|---|");
  for (const [name, values] of Object.entries(rows)) console.log(`| ${name} | ${wall(name).toFixed(2)} s | ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} s | ${(wall(name) / first).toFixed(2)} |`);
  console.log(`\nfirst push / pipeline = ${(wall("push, first (empty caches)") / first).toFixed(2)} (target <= 1.0); second push / pipeline = ${(wall("push, second (the caches the first filled)") / first).toFixed(2)} (target <= 0.3)`);
  console.log(`bytes sent, first push (config and layer blobs): ours ${bytes.ours}, skopeo ${bytes.pipeline}: ${((bytes.ours / bytes.pipeline - 1) * 100).toFixed(1)}% (target within 10%)`);
}

/** One store path changed in place: push again and read which layers it uploaded and compressed. */
function changedPath(store: PublishStore, endpoint: string, run3: Commands): void {
  if (store.smallFile === undefined) return;
  const compression = COMPRESSIONS[0]!;
  const target = `docker://${endpoint}/changed/app:1`;
  run(run3.push(target, compression));
  const { mode, size } = statSync(store.smallFile);
  chmodSync(store.smallFile, mode | 0o200);
  appendFileSync(store.smallFile, "\n");
  chmodSync(store.smallFile, mode);
  try {
    const again = run(run3.push(target, compression, false).replace(" >/dev/null", ""));
    const summary = again.stderr.trim().split("\n").filter((line) => /uploaded|compressed/.test(line)).at(-1) ?? again.stderr.trim();
    console.log(`\none store path changed (${store.smallFile}), pushed again: ${again.seconds.toFixed(2)} s; ${summary}`);
  } finally {
    chmodSync(store.smallFile, mode | 0o200);
    truncateSync(store.smallFile, size);
    chmodSync(store.smallFile, mode);
  }
}

export async function benchPublish(store: PublishStore, rounds: number): Promise<void> {
  const registry = await startRegistry();
  try {
    const run3 = commands(store, registry.dir);
    for (const compression of COMPRESSIONS) {
      const rows = await timedRounds(registry.endpoint, compression, run3, rounds);
      printCompression(compression, rows, bytesSent(registry.endpoint, compression));
    }
    changedPath(store, registry.endpoint, run3);
  } finally {
    await registry.stop();
  }
}

