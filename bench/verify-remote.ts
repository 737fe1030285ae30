/**
 * Issue 21's first audit line (npm run bench -- --audit-only, or
 * node build/bench/verify-remote.js ROOT CONF [ROUNDS]): the bench image as
 * people publish it (our stream, then `skopeo copy` with gzip layers to a
 * local docker-registry), then, side by side in the same rounds, through a
 * proxy that counts what each downloads:
 *
 * - `verify -v CONF docker://…`: the hash passes over the store, then the
 *   manifest and the config (the config proves the image; no layer fetched);
 * - `skopeo copy docker://… docker-archive:x.tar`: the route there is today
 *   (every blob downloaded and decompressed), which still leaves the
 *   archive to be compared with the conf.
 *
 * skopeo runs with a blob-info cache of its own (test/support/isolated-tools.ts).
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "../test/support/reference.ts";
import { runAsync, startRegistry } from "../test/support/registry.ts";
import { runIsolated, succeeded } from "../test/support/isolated-tools.ts";
import { startDownloadCounter } from "./counting-proxy.ts";

const CLI = join(REPO_ROOT, "dist", "cli.js");
/** skopeo's gzip of a 1 GB image on a busy 2-core machine. */
const SKOPEO_TIMEOUT_MS = 30 * 60_000;

export interface VerifyStore {
  readonly root: string;
  readonly conf: string;
}

interface Round {
  readonly seconds: number;
  /** Response body bytes the proxy counted. */
  readonly downloaded: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await run();
  return [result, Number(process.hrtime.bigint() - start) / 1e9];
}

/** The blobs' sizes the manifest lists: the config and every layer. */
async function manifestBytes(reference: string): Promise<{ layers: number; blobBytes: number; manifest: string }> {
  const raw = succeeded(await runIsolated("skopeo", ["inspect", "--raw", "--tls-verify=false", reference])).toString("utf8");
  const manifest = JSON.parse(raw) as { mediaType?: string; config: { size: number }; layers: { size: number; mediaType: string }[] };
  const blobBytes = manifest.config.size + manifest.layers.reduce((total, layer) => total + layer.size, 0);
  return { layers: manifest.layers.length, blobBytes, manifest: `${manifest.mediaType ?? "?"}, layers ${[...new Set(manifest.layers.map((layer) => layer.mediaType))].join(", ")}` };
}

const kb = (bytes: number): string => `${(bytes / 1e3).toFixed(1)} KB`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export async function benchVerifyRemote(store: VerifyStore, rounds: number): Promise<void> {
  const registry = await startRegistry();
  const proxy = await startDownloadCounter(registry.endpoint);
  try {
    const archive = join(registry.dir, "image.tar");
    const written = spawnSync(process.execPath, [CLI, "--quiet", "--root", store.root, "-o", archive, store.conf], { encoding: "utf8" });
    if (written.status !== 0) throw new Error(`stream-layered-image: ${written.stderr}`);
    process.stderr.write("bench: publishing the image with skopeo copy (gzip layers)\n");
    const published = `docker://${registry.endpoint}/bench:1`;
    succeeded(await runIsolated("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", "--dest-compress-format", "gzip", `docker-archive:${archive}`, published], SKOPEO_TIMEOUT_MS));
    rmSync(archive, { force: true });
    const { layers, blobBytes, manifest } = await manifestBytes(published);
    const viaProxy = `docker://${proxy.endpoint}/bench:1`;
    const copy = join(registry.dir, "copy.tar");
    const ours: Round[] = [];
    const theirs: Round[] = [];
    let verifyLine = "";
    for (let round = 0; round < rounds; round++) {
      proxy.reset();
      const [verify, verifySeconds] = await timed(() => runAsync(process.execPath, [CLI, "verify", "-v", "--root", store.root, store.conf, viaProxy]));
      if (verify.status !== 0) throw new Error(`verify exited with ${verify.status}:\n${verify.stdout}${verify.stderr}`);
      verifyLine = /read:\s+(.*)/.exec(verify.stdout)?.[1] ?? "(no read: line)";
      ours.push({ seconds: verifySeconds, downloaded: proxy.downloaded() });
      rmSync(copy, { force: true });
      proxy.reset();
      const [, skopeoSeconds] = await timed(async () => succeeded(await runIsolated("skopeo", ["copy", "--quiet", "--src-tls-verify=false", viaProxy, `docker-archive:${copy}`], SKOPEO_TIMEOUT_MS)));
      theirs.push({ seconds: skopeoSeconds, downloaded: proxy.downloaded() });
      rmSync(copy, { force: true });
    }
    const wall = (rows: Round[]) => median(rows.map((row) => row.seconds));
    const bytes = (rows: Round[]) => Math.max(...rows.map((row) => row.downloaded));
    console.log(`\n## verify of a published image: skopeo's gzip copy of the bench image in a local docker-registry (${layers} layers, ${mb(blobBytes)} of blobs; ${manifest}), node ${process.version}`);
    console.log(`| run | wall, median of ${rounds} | downloaded (counting proxy) |`);
    console.log("|---|---|---|");
    console.log(`| \`verify -v CONF docker://…\` | ${wall(ours).toFixed(2)} s | ${kb(bytes(ours))} |`);
    console.log(`| \`skopeo copy docker://… docker-archive:x.tar\` | ${wall(theirs).toFixed(2)} s | ${mb(bytes(theirs))} |`);
    console.log(`\nverify says: ${verifyLine}`);
    console.log(`skopeo's blobs by the manifest: ${mb(blobBytes)} (config and layers)`);
    console.log(`verify / skopeo: wall ${(wall(ours) / wall(theirs)).toFixed(3)}, bytes ${(bytes(ours) / bytes(theirs)).toExponential(2)}; verify downloaded ${kb(bytes(ours))} (target < 100 KB: ${bytes(ours) < 100_000 ? "met" : "not met"})`);
  } finally {
    await proxy.close();
    await registry.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [root, conf, rounds] = process.argv.slice(2);
  if (root === undefined || conf === undefined) throw new Error("usage: verify-remote.js ROOT CONF [ROUNDS]");
  await benchVerifyRemote({ root, conf }, Number(rounds ?? 1));
}
