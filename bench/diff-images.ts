/**
 * Issue 21's second audit line (npm run bench -- --audit-only, or
 * node build/bench/diff-images.js [ROUNDS]): `diff oci:A oci:B` of two
 * images of about SLI_BENCH_DIFF_MB MB (default 1024) that differ in one
 * file of the big layer (bench/diff-store.ts), against the floor of
 * reading those layers: `gzip -dc BLOB | sha256sum` of each blob whose
 * diff_id differs, A's then B's, side by side in the same rounds.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "../test/support/reference.ts";
import { runAsync } from "../test/support/registry.ts";
import { diffImages } from "./diff-store.ts";

const CLI = join(REPO_ROOT, "dist", "cli.js");
const BENCH_DIR = process.env["SLI_BENCH_DIR"] ?? "/tmp/sli-bench";

interface Layout {
  readonly layers: { digest: string; mediaType: string }[];
  readonly diffIds: string[];
}

function blobPath(layout: string, digest: string): string {
  return join(layout, "blobs", ...digest.split(":"));
}

function readLayout(layout: string): Layout {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(blobPath(layout, index.manifests[0]!.digest), "utf8")) as { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
  const config = JSON.parse(readFileSync(blobPath(layout, manifest.config.digest), "utf8")) as { rootfs: { diff_ids: string[] } };
  return { layers: manifest.layers, diffIds: config.rootfs.diff_ids };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timedRun(command: string, args: string[], expected: number): Promise<{ seconds: number; stdout: string }> {
  const start = process.hrtime.bigint();
  const run = await runAsync(command, args);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== expected) throw new Error(`${command} ${args.join(" ")} exited with ${run.status}, not ${expected}:\n${run.stdout}${run.stderr}`);
  return { seconds, stdout: run.stdout };
}

export async function benchDiff(rounds: number, megabytes = Number(process.env["SLI_BENCH_DIFF_MB"] ?? 1024)): Promise<void> {
  const images = await diffImages(BENCH_DIR, megabytes);
  const a = readLayout(images.layoutA);
  const b = readLayout(images.layoutB);
  const differing = a.diffIds.flatMap((diffId, index) => (diffId === b.diffIds[index] ? [] : [index]));
  const blobs = differing.flatMap((index) => [blobPath(images.layoutA, a.layers[index]!.digest), blobPath(images.layoutB, b.layers[index]!.digest)]);
  const compressed = blobs.reduce((total, blob) => total + statSync(blob).size, 0);
  const floor = blobs.map((blob) => `gzip -dc '${blob}' | sha256sum >/dev/null`).join(" && ");
  // Warm the page cache once before timing.
  await timedRun("bash", ["-c", floor], 0);
  const ours: number[] = [];
  const theirs: number[] = [];
  let report = "";
  for (let round = 0; round < rounds; round++) {
    const diff = await timedRun(process.execPath, [CLI, "diff", `oci:${images.layoutA}`, `oci:${images.layoutB}`], 1);
    ours.push(diff.seconds);
    report = diff.stdout;
    theirs.push((await timedRun("bash", ["-c", floor], 0)).seconds);
  }
  const media = [...new Set(a.layers.map((layer) => layer.mediaType))].join(", ");
  console.log(`\n## diff of two ${megabytes} MB images, one changed file (${images.changed}), OCI layouts by skopeo (${media}), node ${process.version}`);
  console.log(`layers whose diff_ids differ (of ${a.diffIds.length}): ${differing.join(", ")}; their blobs, A's and B's: ${(compressed / 1e6).toFixed(1)} MB compressed`);
  console.log(`| run | wall, median of ${rounds} |`);
  console.log("|---|---|");
  console.log(`| \`diff oci:A oci:B\` | ${median(ours).toFixed(2)} s |`);
  console.log(`| \`gzip -dc BLOB | sha256sum\`, each of those blobs in turn | ${median(theirs).toFixed(2)} s |`);
  console.log(`\ndiff / (gzip -dc | sha256sum) = ${(median(ours) / median(theirs)).toFixed(2)} (target <= 1.0)`);
  console.log(`diff said:\n${report.trimEnd().split("\n").slice(0, 8).map((line) => `    ${line}`).join("\n")}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchDiff(Number(process.argv[2] ?? 1));
