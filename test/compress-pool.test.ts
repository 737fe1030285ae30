/**
 * The compression API around the codecs: "none" measures a pass-through;
 * bad options fail at once with one line; a consumer that stops early, an
 * input that throws and a thread that dies all give the threads back (or
 * drop the dead one) and settle result(); idle threads are reused by the
 * next layer, end on closeCompressWorkers(), and never keep a process
 * alive; compressorBuild names what decides the bytes.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { compressorBuild } from "../src/workers/compress/build-id.ts";
import { compressLayer } from "../src/workers/compress/compress-layer.ts";
import { CompressAbandonedError, CompressOptionError, CompressUnsupportedError, CompressWorkerError } from "../src/workers/compress/errors.ts";
import { closeCompressWorkers, compressWorkerThreads, idleCompressThreadCount } from "../src/workers/compress/pool.ts";
import type { CompressFormat } from "../src/workers/compress/format.ts";
import { compressAll, compressibleBytes } from "./support/compress-input.ts";
import { REPO_ROOT } from "./support/reference.ts";

after(() => closeCompressWorkers());

const MIB = compressibleBytes(1 << 20, 21);

/** Endless 1 MiB chunks; `state.returned` once the consumer's return() reached it. */
function endless(state: { returned: boolean }): AsyncGenerator<Buffer> {
  return (async function* () {
    try {
      for (;;) yield MIB;
    } finally {
      state.returned = true;
    }
  })();
}

test("none: the chunks themselves, with the sha256 and size of their concatenation", async () => {
  const parts = [Buffer.from("abc"), Buffer.alloc(0), compressibleBytes(70_000, 1)];
  const layer = compressLayer(parts, { format: "none" });
  const out: Buffer[] = [];
  for await (const chunk of layer.chunks) out.push(chunk);
  assert.deepEqual(out, [parts[0], parts[2]]);
  const whole = Buffer.concat(parts);
  assert.deepEqual(await layer.result(), { digest: `sha256:${createHash("sha256").update(whole).digest("hex")}`, size: whole.length, uncompressedSize: whole.length });
});

test("bad options fail at once, typed, in one line", () => {
  const cases: [CompressFormat, number | undefined, number | undefined, new (...args: never[]) => Error][] = [
    ["gzip", 0, undefined, CompressOptionError],
    ["gzip", 10, undefined, CompressOptionError],
    ["gzip", 2.5, undefined, CompressOptionError],
    ["zstd", 23, undefined, CompressOptionError],
    ["gzip", 6, -1, CompressOptionError],
    ["brotli" as CompressFormat, undefined, undefined, CompressUnsupportedError],
  ];
  for (const [format, level, workers, type] of cases) {
    assert.throws(
      () => compressLayer([], { format, ...(level === undefined ? {} : { level }), ...(workers === undefined ? {} : { workers }) }),
      (error: Error) => error instanceof type && !error.message.includes("\n"),
      `${format} ${level} ${workers}`,
    );
  }
});

test("a consumer that stops early: the input is returned, result() rejects, the threads go back to the pool and are reused", async () => {
  await closeCompressWorkers();
  const state = { returned: false };
  const layer = compressLayer(endless(state), { format: "gzip", level: 1, workers: 2 });
  let read = 0;
  for await (const _chunk of layer.chunks) if (++read === 3) break;
  assert.ok(state.returned, "the input's return() ran");
  await assert.rejects(layer.result(), CompressAbandonedError);
  assert.equal(idleCompressThreadCount(), 2);
  const threads = compressWorkerThreads().map((worker) => worker.threadId).sort();
  assert.equal(threads.length, 2);
  await compressAll([MIB], { format: "gzip", level: 1, workers: 2 });
  assert.deepEqual(compressWorkerThreads().map((worker) => worker.threadId).sort(), threads, "the same threads served the next layer");
  await closeCompressWorkers();
  assert.equal(compressWorkerThreads().length, 0);
});

test("an input that throws: chunks and result() fail with its error, the threads go back", async () => {
  await closeCompressWorkers();
  const failure = new Error("the walk failed");
  async function* failing(): AsyncGenerator<Buffer> {
    yield MIB;
    yield MIB;
    throw failure;
  }
  const layer = compressLayer(failing(), { format: "gzip", level: 1, workers: 2 });
  await assert.rejects(async () => {
    for await (const _chunk of layer.chunks);
  }, failure);
  await assert.rejects(layer.result(), failure);
  assert.equal(idleCompressThreadCount(), 2);
});

test("a thread that dies mid-layer: CompressWorkerError, and the dead thread leaves the pool", async () => {
  await closeCompressWorkers();
  const layer = compressLayer(endless({ returned: false }), { format: "gzip", level: 1, workers: 2 });
  await assert.rejects(async () => {
    let read = 0;
    for await (const _chunk of layer.chunks) if (++read === 2) void compressWorkerThreads()[0]!.terminate();
  }, CompressWorkerError);
  await assert.rejects(layer.result(), CompressWorkerError);
  assert.equal(idleCompressThreadCount(), 1);
  await closeCompressWorkers();
  assert.equal(compressWorkerThreads().length, 0);
});

test("idle threads do not keep a process alive", () => {
  const module = join(REPO_ROOT, "build", "src", "workers", "compress", "compress-layer.js");
  const script = `import(${JSON.stringify(module)}).then(async ({ compressLayer }) => { const layer = compressLayer([Buffer.alloc(1 << 20, 7)], { format: "gzip", workers: 2 }); for await (const _ of layer.chunks); console.log((await layer.result()).size); })`;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^\d+\n$/);
});

test("compressorBuild: format, level, scheme, library version and probe; stable, and apart for each level", () => {
  assert.equal(compressorBuild("none"), "none");
  const gzip5 = compressorBuild("gzip");
  assert.match(gzip5, /^gzip-5\/blocks-v2\/zlib-[^/]+\/probe-[0-9a-f]{12}$/, "the default level is 5");
  assert.equal(compressorBuild("gzip", 5), gzip5);
  assert.notEqual(compressorBuild("gzip", 6), gzip5);
  assert.ok(gzip5.includes(process.versions.zlib));
  assert.throws(() => compressorBuild("gzip", 0), CompressOptionError);
});
