/**
 * Hash worker threads that fail never leave a wait behind, and the pool
 * gives its threads back: a missing worker file, a worker that throws, one
 * that exits mid-pass; idle workers ending, after a pass and after a failed
 * write.  The CLI cases run with a safety timeout only so that a regression
 * fails instead of hanging the suite.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { closeHashWorkers } from "../src/workers/hash/layer-hasher.ts";
import { RingHasher, hashWorkerThreads } from "../src/workers/hash/ring-hasher.ts";
import { HashWorkerError } from "../src/workers/hash/errors.ts";
import { prepareImageAsync, streamImage } from "../src/image/image.ts";
import { runSync } from "../src/workers/pause.ts";
import { runCli } from "../src/cli/run.ts";
import { REPO_ROOT } from "./support/reference.ts";
import type { FixtureStore } from "./support/fixture-store.ts";
import { makeSmallImageStore, smallImageConf } from "./support/small-image.ts";

// These tests are about the worker threads: whatever the environment asks for.
process.env["SLI_HASH_PLACEMENT"] = "worker";

let store: FixtureStore;
let confPath: string;
before(() => {
  ({ store, confPath } = makeSmallImageStore("hash-workers"));
});
after(() => store.remove());

test("CLI with its hash worker file missing: one line, exit 1, nothing on stdout (no hang)", () => {
  const dist = mkdtempSync(join(tmpdir(), "sli-broken-dist-"));
  try {
    cpSync(join(REPO_ROOT, "dist"), dist, { recursive: true });
    rmSync(join(dist, "workers", "hash", "hash-worker.js"));
    const result = spawnSync(process.execPath, [join(dist, "cli.js"), "--root", store.root, confPath], { timeout: 120_000 });
    assert.equal(result.signal, null, "killed by the safety timeout: the CLI hung");
    assert.equal(result.status, 1);
    assert.equal(result.stdout.length, 0);
    const stderr = result.stderr.toString();
    assert.match(stderr, /^stream-layered-image: Cannot start the hash worker: ".*\/hash\/hash-worker\.js" is missing/);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

test("a worker that throws: the blocking API sees it through shared memory and names it", async () => {
  const hasher = new RingHasher();
  try {
    runSync(hasher.begin("sha256+crc32"));
    hasher.nextBuffer();
    // A length past the shared memory: the worker's view of the slot throws.
    (hasher as unknown as { commit(length: number): void }).commit(1 << 30);
    assert.throws(() => runSync(hasher.finish()), (error: unknown) => error instanceof HashWorkerError && /the hash worker thread failed: .*(Invalid|out of range|offset|length)/i.test(error.message));
  } finally {
    await hasher.close();
  }
});

test("a worker that exits mid-pass: the async API rejects with HashWorkerError (no hang)", async () => {
  await closeHashWorkers();
  let terminated: Promise<number>[] | undefined;
  const failed = prepareImageAsync(smallImageConf(), {
    root: store.root,
    progress: () => {
      terminated ??= hashWorkerThreads().map((worker) => worker.terminate());
    },
  });
  await assert.rejects(failed, (error: unknown) => error instanceof HashWorkerError && /the hash worker thread exited/.test(error.message));
  // Once they have exited, the pool holds none of them: the next image gets
  // fresh workers.  (Back in the pool they are unreferenced: keep the process alive meanwhile.)
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await Promise.all(terminated ?? []);
  } finally {
    clearInterval(keepAlive);
  }
  await prepareImageAsync(smallImageConf(), { root: store.root });
});

test("the pool gives its workers back: idle ones end on their own, closeHashWorkers() ends them at once", async () => {
  await closeHashWorkers();
  assert.equal(hashWorkerThreads().length, 0);
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  await streamImage(smallImageConf(), sink, { root: store.root });
  assert.ok(hashWorkerThreads().length > 0, "the passes ran on workers");
  // Left alone, idle workers end after a short idle time.  (Idle workers and
  // their timer do not keep a process alive: this test has to.)
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await Promise.all(hashWorkerThreads().map((worker) => once(worker, "exit")));
  } finally {
    clearInterval(keepAlive);
  }
  assert.equal(hashWorkerThreads().length, 0);

  await streamImage(smallImageConf(), sink, { root: store.root });
  assert.ok(hashWorkerThreads().length > 0);
  await closeHashWorkers();
  assert.equal(hashWorkerThreads().length, 0);
});

test("a failed write: the CLI closes the layer's open file and gives its hasher back", async () => {
  await closeHashWorkers();
  const openFiles = (): number => readdirSync("/proc/self/fd").length;
  const before = openFiles();
  let writes = 0;
  const failing = new Writable({
    highWaterMark: 1,
    write(_chunk, _encoding, done) {
      // The third chunk: in the middle of layer 0's 5 MiB file.
      done(++writes === 3 ? Object.assign(new Error("disk full"), { code: "ENOSPC" }) : undefined);
    },
  });
  failing.on("error", () => {});
  const lines: string[] = [];
  const status = await runCli(["--quiet", "--root", store.root, confPath], { stdout: failing, stderr: (text) => lines.push(text) });
  assert.equal(status, 1);
  assert.match(lines.join(""), /disk full/);
  // A hasher still held by the abandoned pass would not be idle, and would survive this.
  await closeHashWorkers();
  // (Were one held, its referenced worker would keep this file's process alive after the failure.)
  for (const worker of hashWorkerThreads()) worker.unref();
  assert.equal(hashWorkerThreads().length, 0);
  assert.equal(openFiles(), before, "every file the passes opened is closed (and every worker's descriptors)");
});
