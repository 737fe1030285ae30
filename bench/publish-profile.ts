/**
 * Where a first push's time goes (not part of `npm run bench`; run by hand:
 * `node build/bench/publish-profile.js ROOT CONF [ROUNDS]`): the hash passes
 * alone; then, on one image prepared once, uploads to fresh repositories of
 * a local docker-registry with several PATCH sizes, side by side with two
 * floors: `curl -T` of every layer blob (already on disk) in one
 * monolithic PUT each, and `cat` of the blobs (what the page cache gives).
 * The registry's CPU time for each is read from /proc.  Prints a table.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConf } from "../src/conf/validate.ts";
import { readConfFile } from "../src/conf/read.ts";
import { prepareImage } from "../src/image/image.ts";
import type { PreparedImage } from "../src/image/types.ts";
import { pushImage } from "../src/publish/push.ts";
import { parseImageReference } from "../src/remote/reference.ts";
import { RegistryClient } from "../src/remote/registry.ts";
import { exchange, makeTransport, closeTransport } from "../src/remote/http.ts";
import { layerStyle, storeEntries } from "../src/layer/layer-walk.ts";
import { profileFor } from "../src/profile/python.ts";
import { generationRules } from "../src/profile/generation.ts";
import { createHash } from "node:crypto";
import { startRegistry } from "../test/support/registry.ts";

const [root, confFile, roundsText] = process.argv.slice(2);
if (root === undefined || confFile === undefined) throw new Error("usage: publish-profile ROOT CONF [ROUNDS]");
const rounds = Number(roundsText ?? 3);

/** utime + stime of the docker-registry serving from `dir`, in seconds. */
function registryCpu(dir: string): number {
  const pids = execFileSync("pgrep", ["-f", `docker-registry serve ${dir}`], { encoding: "utf8" }).trim().split("\n");
  return pids.reduce((total, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return total + (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return total;
    }
  }, 0);
}

async function timed(work: () => Promise<void> | void, dir = ""): Promise<{ wall: number; registry: number }> {
  const cpu = dir === "" ? 0 : registryCpu(dir);
  const start = process.hrtime.bigint();
  await work();
  return { wall: Number(process.hrtime.bigint() - start) / 1e9, registry: dir === "" ? 0 : registryCpu(dir) - cpu };
}

const conf = validateConf(readConfFile(confFile, "3.13"), confFile);
const hashing = await timed(() => {
  prepareImage(conf, { root }).close();
});
const image = prepareImage(conf, { root });
const walking = await timed(() => {
  for (const paths of conf.storeLayers) for (const _ of storeEntries(paths, profileFor("3.13"), layerStyle(generationRules(conf.generation), conf.current?.owner), root));
});

/** Each blob file in one monolithic `PUT ?digest=` (what curl -T does), through our HTTP code. */
async function monolithic(image: PreparedImage, endpoint: string, repository: string, blobs: readonly string[]): Promise<void> {
  const client = new RegistryClient(endpoint, endpoint, {});
  const transport = makeTransport(endpoint, true);
  try {
    await client.connect();
    for (const [index, layer] of image.layers.entries()) {
      const url = await client.startUpload(repository);
      url.searchParams.set("digest", `sha256:${layer.sha256}`);
      const response = await exchange(transport, { method: "PUT", url, headers: { "content-type": "application/octet-stream", "content-length": String(layer.size) }, body: fileChunks(blobs[index]!) });
      if (response.status !== 201) throw new Error(`PUT: HTTP ${response.status}`);
    }
  } finally {
    client.close();
    closeTransport(transport);
  }
}

/** A file in reused 1 MiB chunks. */
function* fileChunks(file: string): Generator<Buffer> {
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, "r");
  try {
    for (let got; (got = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) yield buffer.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * The lever not built: each layer streamed (the stream pass's checks) in one
 * PATCH while its sha256 is computed, then `PUT ?digest=` with that digest.
 * What a push without a separate hash pass would cost for the uploads.
 */
async function onePass(image: PreparedImage, endpoint: string, repository: string, blobs?: readonly string[]): Promise<void> {
  const client = new RegistryClient(endpoint, endpoint, {});
  try {
    await client.connect();
    for (const [index, layer] of image.layers.entries()) {
      const session = await client.startUpload(repository);
      const hash = createHash("sha256");
      const next = await client.patchUpload(repository, session, { offset: 0, length: layer.size }, function* () {
        for (const chunk of blobs === undefined ? image.layerChunks(index) : fileChunks(blobs[index]!)) {
          hash.update(chunk);
          yield chunk;
        }
      }, () => {});
      await client.finishUpload(repository, next, `sha256:${hash.digest("hex")}`);
    }
  } finally {
    client.close();
  }
}
const registry = await startRegistry();
const work = mkdtempSync(join(tmpdir(), "sli-profile-"));
try {
  const blobs = image.layers.map((_, index) => {
    const file = join(work, `layer${index}`);
    const fd = openSync(file, "w");
    for (const chunk of image.layerChunks(index)) writeSync(fd, chunk);
    closeSync(fd);
    return file;
  });
  const rows: Record<string, { wall: number; registry: number }[]> = {};
  const add = (name: string, result: { wall: number; registry: number }): void => void (rows[name] ??= []).push(result);
  const timedHere = (work: () => Promise<void> | void) => timed(work, registry.dir);
  const chunkSizes: [string, number][] = [
    ["push, 16 MiB PATCHes", 16 << 20],
    ["push, 64 MiB PATCHes", 64 << 20],
    ["push, 256 MiB PATCHes", 256 << 20],
    ["push, one PATCH per layer", 2 ** 40],
  ];
  for (let round = 0; round < rounds; round++) {
    add("cat of the blobs", await timedHere(() => void execFileSync("bash", ["-c", `cat ${blobs.join(" ")} > /dev/null`])));
    add(
      "curl -T, one PUT per blob",
      await timedHere(() => {
        for (const [index, file] of blobs.entries()) {
          const location = execFileSync("bash", ["-c", `curl -s -i -X POST http://${registry.endpoint}/v2/floor${round}/app/blobs/uploads/ | tr -d '\\r' | sed -n 's/^Location: //Ip'`], { encoding: "utf8" }).trim();
          const url = new URL(location, `http://${registry.endpoint}/`);
          url.searchParams.set("digest", `sha256:${image.layers[index]!.sha256}`);
          execFileSync("curl", ["-s", "-f", "-T", file, "-H", "Content-Type: application/octet-stream", url.href]);
        }
      }),
    );
    for (const [name, chunkSize] of chunkSizes) {
      add(name, await timedHere(() => pushImage(image, parseImageReference(`docker://${registry.endpoint}/p${round}-${chunkSize}/app:1`), { chunkSize }).then(() => {})));
    }
  }
  for (let round = 0; round < rounds; round++) add("our HTTP client, the blobs read from files, one monolithic PUT per blob", await timedHere(() => monolithic(image, registry.endpoint, `mono${round}/app`, blobs)));
  for (let round = 0; round < rounds; round++) add("our HTTP client, the blobs read from files (no stream pass), sha256 while uploading", await timedHere(() => onePass(image, registry.endpoint, `files${round}/app`, blobs)));
  for (let round = 0; round < rounds; round++) add("one pass: stream + sha256 while uploading, one PATCH per layer (not built)", await timedHere(() => onePass(image, registry.endpoint, `onepass${round}/app`)));
  const bytes = image.layers.reduce((total, layer) => total + layer.size, 0);
  console.log(`${(bytes / 2 ** 20).toFixed(0)} MiB in ${image.layers.length} layers; hash passes alone: ${hashing.wall.toFixed(2)} s; metadata walk of the store layers (the digest cache's check): ${walking.wall.toFixed(2)} s`);
  console.log(`| upload of a prepared image (${rounds} rounds) | wall | registry CPU |`);
  console.log("|---|---|---|");
  const range = (values: number[]): string => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} s`;
  for (const [name, results] of Object.entries(rows)) console.log(`| ${name} | ${range(results.map((r) => r.wall))} | ${range(results.map((r) => r.registry))} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await registry.stop();
  image.close();
}
