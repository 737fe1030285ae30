/**
 * `tarfile.open` on a gzip base image reads it through zlib; here it is
 * decompressed once, in constant memory, into an unlinked temporary file the
 * layers are then copied from.  The decompression runs on a worker thread
 * and starts as soon as the archive is recognised, so the store layers' hash
 * passes (the main thread and the hash worker) overlap with it; only the
 * first byte of the image waits for its end (a truncated archive must fail
 * before any byte, and docker-archives keep manifest.json at the end).
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { pauseWhile, type Pause } from "../pause.ts";
import { CHUNK_BYTES, DONE, FAILED, RUNNING, STATE, STATE_BYTES } from "./gunzip-protocol.ts";
import { workerBeside } from "../worker-url.ts";

const WORKER_URL = workerBeside(new URL("./gunzip-worker.js", import.meta.url), import.meta.url);
/**
 * A small heap: the thread only pipes 1 MiB buffers (external memory) from
 * zlib to the file.  Loading its sources as .ts (Node's type stripping)
 * takes more than 8 MB of heap for a moment: the limit is raised there.
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: WORKER_URL.pathname.endsWith(".ts") ? 64 : 8, maxYoungGenerationSizeMb: 2 };

/** Why the decompression failed, in words (zlib's Z_BUF_ERROR is the end of a truncated stream). */
export class GunzipFailure extends Error {
  constructor(reason: string) {
    super(reason === "Z_BUF_ERROR" ? "it is truncated (unexpected end of the compressed data)" : reason);
    this.name = "GunzipFailure";
  }
}

export interface Decompression {
  /** Pauses until the archive is decompressed; the descriptor of the copy (the caller closes it), or GunzipFailure. */
  finish(): Generator<Pause, number>;
  /** Abandons it: stops the thread and closes the copy (nothing after finish() has failed). */
  cancel(): void;
}

/** A file no other process can see: created in a private directory, unlinked at once. */
function unlinkedFile(): number {
  const dir = mkdtempSync(join(tmpdir(), "sli-base-"));
  try {
    return openSync(join(dir, "base.tar"), "w+", 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts decompressing `path` (raw bytes) into an unlinked file. */
export function startGunzip(path: Buffer): Decompression {
  const fd = unlinkedFile();
  try {
    return threaded(path, fd) ?? inChild(path, fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Where no worker thread can be made (a missing file, a restricted runtime): a child node, waited for at once. */
function inChild(path: Buffer, fd: number): Decompression {
  const script =
    'const {pipeline}=require("node:stream");const fs=require("node:fs");const zlib=require("node:zlib");const n=' +
    CHUNK_BYTES +
    ';pipeline(fs.createReadStream(Buffer.from(process.argv[1],"hex"),{highWaterMark:n}),zlib.createGunzip({chunkSize:n}),fs.createWriteStream("",{fd:1,highWaterMark:n}),(e)=>{if(e){process.stderr.write(String(e.code||e.message));process.exit(1)}})';
  const result = spawnSync(process.execPath, ["-e", script, path.toString("hex")], { stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
  const failure = result.status === 0 ? undefined : new GunzipFailure(result.stderr.trim() || String(result.error));
  let open = true;
  const close = (): void => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    *finish() {
      if (failure === undefined) return fd;
      close();
      throw failure;
    },
    cancel: close,
  };
}

function threaded(path: Buffer, fd: number): Decompression | undefined {
  if (!existsSync(fileURLToPath(WORKER_URL))) return undefined;
  const shared = new SharedArrayBuffer(STATE_BYTES);
  const state = new Int32Array(shared);
  const { port1, port2 }: { port1: MessagePort; port2: MessagePort } = new MessageChannel();
  port1.unref();
  let worker: Worker;
  try {
    worker = new Worker(WORKER_URL, { workerData: { shared, port: port2, pathHex: path.toString("hex"), fd }, transferList: [port2], resourceLimits: RESOURCE_LIMITS });
  } catch {
    port1.close();
    return undefined;
  }
  // An 'error' before the worker's own handlers run (it failed to load) never reaches shared memory.
  let lost: GunzipFailure | undefined;
  const ended = new Promise<void>((resolve) => {
    worker.once("error", (error) => {
      lost ??= new GunzipFailure(`the decompression thread failed: ${error.message}`);
      resolve();
    });
    worker.once("exit", () => resolve());
  });
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    port1.close();
    closeSync(fd);
  };
  const failure = (): GunzipFailure => lost ?? new GunzipFailure((receiveMessageOnPort(port1)?.message as string | undefined) ?? "the decompression thread failed");
  // The worker's exit handler wakes us too.
  const pause = (): Pause => pauseWhile(state, STATE, RUNNING, ended);
  return {
    *finish() {
      while (Atomics.load(state, STATE) === RUNNING && lost === undefined) yield pause();
      if (Atomics.load(state, STATE) === DONE) {
        // The copy is the caller's now.
        open = false;
        port1.close();
        return fd;
      }
      const error = Atomics.load(state, STATE) === FAILED || lost !== undefined ? failure() : new GunzipFailure("the decompression thread failed");
      close();
      throw error;
    },
    cancel: () => {
      // Close the copy only once the thread is gone: a write still in flight must not land on a reused descriptor.
      if (open) void worker.terminate().finally(close);
    },
  };
}
