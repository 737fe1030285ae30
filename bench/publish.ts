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
 *   uncompressed layers streamed from the store).
 *
 * Each round pushes to fresh repositories, so a first push uploads every
 * layer (the registry links nothing into a repository it was not pushed
 * to); the second push of the same conf to the same repository is then
 * timed for both.  Median of the rounds.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../test/support/reference.js";
import { startRegistry } from "../test/support/registry.js";

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
    const pipeline = (name: string) =>
      `node '${CLI}' --quiet --root '${store.root}' -o '${archive}' '${store.conf}' && skopeo copy --quiet --dest-tls-verify=false 'docker-archive:${archive}' '${target(name)}' && rm -f '${archive}'`;
    const ours = (name: string) => `node '${CLI}' push --quiet --root '${store.root}' '${store.conf}' '${target(name)}' >/dev/null`;
    const rows: Record<string, number[]> = { "pipeline, first": [], "pipeline, second": [], "push, first": [], "push, second": [] };
    for (let round = 0; round < rounds; round++) {
      rows["pipeline, first"]!.push(timed(pipeline(`pipeline${round}/app:1`)));
      rows["push, first"]!.push(timed(ours(`push${round}/app:1`)));
      rows["pipeline, second"]!.push(timed(pipeline(`pipeline${round}/app:2`)));
      rows["push, second"]!.push(timed(ours(`push${round}/app:2`)));
    }
    const wall = (name: string) => median(rows[name]!);
    console.log(`\n## publish: push vs \`stream-layered-image -o image.tar conf && skopeo copy docker-archive:image.tar docker://…\`, local docker-registry`);
    console.log(`| run | wall (median of ${rounds}) |`);
    console.log("|---|---|");
    for (const name of Object.keys(rows)) console.log(`| ${name} | ${wall(name).toFixed(2)} s |`);
    console.log(
      `\nfirst push / pipeline = ${(wall("push, first") / wall("pipeline, first")).toFixed(2)} (target <= 1.0); ` +
        `second push / pipeline = ${(wall("push, second") / wall("pipeline, first")).toFixed(2)} (target <= 0.3), ` +
        `/ pipeline's second = ${(wall("push, second") / wall("pipeline, second")).toFixed(2)}`,
    );
  } finally {
    await registry.stop();
  }
}
