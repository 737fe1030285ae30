/**
 * The publish line of `npm run bench`: pushing the bench store's image to a
 * local docker-registry (plain HTTP on loopback), side by side in one run:
 *
 * - pipeline: `stream-layered-image -o image.tar conf && skopeo copy docker-archive:image.tar docker://…`
 *   (what users do without `push`; skopeo gzips the layers for a docker://
 *   destination, as it does by default).  The issue's
 *   `conf | skopeo copy docker-archive:/dev/stdin` fails with Debian's skopeo
 *   1.9 ("loading tar component manifest.json: invalid tar header": for an
 *   uncompressed archive it opens the path again for each part), so the
 *   archive goes through a file, which only makes the pipeline faster;
 * - ours: `stream-layered-image push conf docker://…` (hash passes, HEADs,
 *   uncompressed layers streamed from the store), with a digest cache of
 *   its own, emptied at each round's start.
 *
 * Each round pushes to fresh repositories, so a first push uploads every
 * layer (the registry links nothing into a repository it was not pushed
 * to); the second push of the same conf to the same repository is then
 * timed for both: ours with the cache the first push filled, and again
 * without any cache (hash passes and HEADs).  Median and range of the rounds.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../test/support/reference.ts";
import { startRegistry } from "../test/support/registry.ts";

const CLI = join(REPO_ROOT, "dist", "cli.js");

export interface PublishStore {
  readonly root: string;
  readonly conf: string;
}

function timed(script: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync("bash", ["-c", script], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`bench command failed (${result.status}): ${script}\n${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchPublish(store: PublishStore, rounds: number): Promise<void> {
  const registry = await startRegistry();
  try {
    const target = (name: string) => `docker://${registry.endpoint}/${name}`;
    const archive = join(registry.dir, "image.tar");
    const cache = join(registry.dir, "digest-cache");
    const pipeline = (name: string) =>
      `node '${CLI}' --quiet --root '${store.root}' -o '${archive}' '${store.conf}' && skopeo copy --quiet --dest-tls-verify=false 'docker-archive:${archive}' '${target(name)}' && rm -f '${archive}'`;
    const ours = (name: string, cacheOption = `--digest-cache '${cache}'`) => `node '${CLI}' push --quiet ${cacheOption} --root '${store.root}' '${store.conf}' '${target(name)}' >/dev/null`;
    const rows: Record<string, number[]> = {};
    const time = (name: string, script: string): void => void (rows[name] ??= []).push(timed(script));
    const PIPELINE_FIRST = "pipeline, first";
    const PUSH_FIRST = "push, first (empty digest cache)";
    const PUSH_SECOND = "push, second (the digest cache the first filled)";
    for (let round = 0; round < rounds; round++) {
      rmSync(cache, { recursive: true, force: true });
      time(PIPELINE_FIRST, pipeline(`pipeline${round}/app:1`));
      time(PUSH_FIRST, ours(`push${round}/app:1`));
      time("pipeline, second", pipeline(`pipeline${round}/app:2`));
      time(PUSH_SECOND, ours(`push${round}/app:2`));
      time("push, second (--no-digest-cache: hash passes and HEADs)", ours(`push${round}/app:3`, "--no-digest-cache"));
    }
    const wall = (name: string) => median(rows[name]!);
    const range = (name: string) => `${Math.min(...rows[name]!).toFixed(2)}–${Math.max(...rows[name]!).toFixed(2)} s`;
    console.log(`\n## publish: push vs \`stream-layered-image -o image.tar conf && skopeo copy docker-archive:image.tar docker://…\`, local docker-registry`);
    console.log(`| run | wall, median of ${rounds} | range | / pipeline's first |`);
    console.log("|---|---|---|---|");
    for (const name of Object.keys(rows)) console.log(`| ${name} | ${wall(name).toFixed(2)} s | ${range(name)} | ${(wall(name) / wall(PIPELINE_FIRST)).toFixed(2)} |`);
    console.log(`\nfirst push / pipeline = ${(wall(PUSH_FIRST) / wall(PIPELINE_FIRST)).toFixed(2)} (target <= 1.0); second push / pipeline = ${(wall(PUSH_SECOND) / wall(PIPELINE_FIRST)).toFixed(2)} (target <= 0.3)`);
  } finally {
    await registry.stop();
  }
}
