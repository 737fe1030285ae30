/**
 * Digests of a layer's stream of chunks, which the caller writes into
 * buffers the hasher lends (`nextBuffer`), computed on the second core when a
 * worker thread is available: the layer walk (reading, tar headers) and the
 * hashing overlap, as `tar | openssl dgst` overlap in two processes, and no
 * byte is copied between them.  Memory is a fixed 8 MiB per hasher.
 *
 * Each layer gets a CRC-32, and a sha256 when asked: the hash pass needs the
 * sha256 (the layer's name and diff_id); the stream pass only has to show it
 * produced the same bytes, which the CRC-32 does at ten times the speed.
 *
 * Where the caller would have to wait for the worker (every slot still being
 * digested, or the result), the hasher's generators yield a Pause: blocking
 * in the synchronous API, awaited in the asynchronous one (see workers/pause.ts).
 */
import { createHash, type Hash } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { HashWorkerError } from "./errors.ts";
import { pauseWhile, type Pause } from "../pause.ts";
import { CRC_ONLY, CRC_RESULT, DIGEST_OFFSET, FAILED, FINISH_REQUEST, HEAD, LENGTHS, MODE, RESULT_READY, SHARED_BYTES, SLOT_BYTES, SLOTS, SLOTS_OFFSET, TAIL, WITH_SHA256 } from "./protocol.ts";
import { workerBeside } from "../worker-url.ts";

/** One layer's bytes as a LayerHasher digests them. */
export interface LayerHash {
  /** Hex sha256, when begin() asked for it. */
  readonly sha256: string | undefined;
  /** CRC-32 of the same bytes (unsigned). */
  readonly crc32: number;
}

export interface LayerHasher {
  /** Starts a new stream of chunks (dropping any unfinished one); run before the first nextBuffer() of a layer. */
  begin(withSha256: boolean): Generator<Pause, void>;
  /** Pauses until nextBuffer() can lend a buffer without waiting. */
  room(): Generator<Pause, void>;
  /** A buffer of SLOT_BYTES to fill; valid until it is passed to update(). */
  nextBuffer(): Buffer;
  /** Digests the first bytes of the buffer last lent (`chunk` must be a view of its start). */
  update(chunk: Buffer): void;
  /** The digests of everything since begin(). */
  finish(): Generator<Pause, LayerHash>;
  /** Whether another chunk can be handed over without waiting for the worker (for choosing between passes). */
  hasRoom(): boolean;
}

export class InThreadHasher implements LayerHasher {
  private hash: Hash | undefined;
  private crc = 0;
  private readonly buffer = Buffer.allocUnsafe(SLOT_BYTES);

  *begin(withSha256: boolean): Generator<Pause, void> {
    this.hash = withSha256 ? createHash("sha256") : undefined;
    this.crc = 0;
  }

  *room(): Generator<Pause, void> {}

  nextBuffer(): Buffer {
    return this.buffer;
  }

  hasRoom(): boolean {
    return true;
  }

  update(chunk: Buffer): void {
    this.crc = crc32(chunk, this.crc);
    this.hash?.update(chunk);
  }

  *finish(): Generator<Pause, LayerHash> {
    return { sha256: this.hash?.digest("hex"), crc32: this.crc >>> 0 };
  }
}

const WORKER_URL = workerBeside(new URL("./hash-worker.js", import.meta.url), import.meta.url);

export class RingHasher implements LayerHasher {
  private readonly shared = new SharedArrayBuffer(SHARED_BYTES);
  private readonly control = new Int32Array(this.shared, 0, SLOTS_OFFSET / 4);
  private readonly slots = Array.from({ length: SLOTS }, (_, slot) => Buffer.from(this.shared, SLOTS_OFFSET + slot * SLOT_BYTES, SLOT_BYTES));
  private readonly port: MessagePort;
  readonly worker: Worker;
  /** Settles when the worker fails (rejects) or is closed by us; awaited alongside every async wait. */
  private readonly ended: Promise<never>;
  private failure: HashWorkerError | undefined;
  private closing = false;
  /** Slots committed so far (our copy of HEAD). */
  private head = 0;
  /** Chunks went in since the last finish(): a layer abandoned by an exception. */
  private unfinished = false;
  private withSha256 = false;

  constructor() {
    // A missing worker file shows only as an 'error' event, which a thread
    // blocked in Atomics.wait never sees: check before relying on it.
    const file = fileURLToPath(WORKER_URL);
    if (!existsSync(file)) throw new HashWorkerError(`Cannot start the hash worker: ${JSON.stringify(file)} is missing (a broken install?)`);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    this.worker = new Worker(WORKER_URL, { workerData: { shared: this.shared, port: port2 }, transferList: [port2] });
    // Idle in the pool, the worker must not keep the process alive; a pass refs it (see acquire).
    this.worker.unref();
    this.ended = new Promise<never>((_, reject) => {
      this.worker.on("error", (error) => reject(this.fail(`the hash worker thread failed: ${error.message}`, error)));
      this.worker.on("exit", (code) => {
        liveWorkers.delete(this.worker);
        if (this.closing) return;
        reject(this.fail(`the hash worker thread exited (code ${code})`));
        // Never lend a dead worker to the next pass.
        const pooled = idle.indexOf(this);
        if (pooled >= 0) idle.splice(pooled, 1);
      });
    });
    this.ended.catch(() => {});
    liveWorkers.add(this.worker);
  }

  private fail(message: string, cause?: unknown): HashWorkerError {
    this.failure ??= new HashWorkerError(message, { cause });
    return this.failure;
  }

  get failed(): boolean {
    return this.failure !== undefined || Atomics.load(this.control, FAILED) !== 0;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
    if (Atomics.load(this.control, FAILED) !== 0) {
      const message = receiveMessageOnPort(this.port)?.message as string | undefined;
      throw this.fail(message ?? "the hash worker thread failed");
    }
  }

  /** Waits while control[index] still holds `seen`, failing when the worker does. */
  private pauseWhile(index: number, seen: number): Pause {
    // The worker's FAILED flag wakes us too.
    return pauseWhile(this.control, index, seen, this.ended);
  }

  /** Until fewer than `limit` committed slots are still being digested. */
  private *untilPending(limit: number): Generator<Pause, void> {
    for (;;) {
      this.throwIfFailed();
      const tail = Atomics.load(this.control, TAIL);
      if (this.head - tail < limit) return;
      yield this.pauseWhile(TAIL, tail);
    }
  }

  *begin(withSha256: boolean): Generator<Pause, void> {
    // A pass that threw midway left its bytes in the worker's state: drop them.
    if (this.unfinished) yield* this.finish();
    // The worker reads MODE for every slot: change it only when none is pending.
    yield* this.untilPending(1);
    this.withSha256 = withSha256;
    Atomics.store(this.control, MODE, withSha256 ? WITH_SHA256 : CRC_ONLY);
  }

  room(): Generator<Pause, void> {
    return this.untilPending(SLOTS);
  }

  nextBuffer(): Buffer {
    // Callers run room() first; blocking here is the synchronous fallback.
    for (const pause of this.room()) pause.waitSync();
    return this.slots[this.head % SLOTS]!;
  }

  hasRoom(): boolean {
    // The slot being filled, plus the one asked for after it is committed.
    return this.head + 1 - Atomics.load(this.control, TAIL) < SLOTS;
  }

  private commit(length: number): void {
    Atomics.store(this.control, LENGTHS + (this.head % SLOTS), length);
    this.head++;
    Atomics.store(this.control, HEAD, this.head);
    Atomics.notify(this.control, HEAD);
  }

  update(chunk: Buffer): void {
    if (chunk.buffer !== this.shared || chunk.byteOffset !== this.slots[this.head % SLOTS]!.byteOffset) {
      throw new Error("RingHasher.update: the chunk is not the buffer last lent");
    }
    this.commit(chunk.length);
    this.unfinished = true;
  }

  *finish(): Generator<Pause, LayerHash> {
    yield* this.room();
    this.unfinished = false;
    Atomics.store(this.control, RESULT_READY, 0);
    this.commit(FINISH_REQUEST);
    for (;;) {
      this.throwIfFailed();
      if (Atomics.load(this.control, RESULT_READY) !== 0) break;
      yield this.pauseWhile(RESULT_READY, 0);
    }
    return {
      sha256: this.withSha256 ? Buffer.from(this.shared, DIGEST_OFFSET, 32).toString("hex") : undefined,
      crc32: Atomics.load(this.control, CRC_RESULT) >>> 0,
    };
  }

  /** Ends the worker; resolves once it has exited. */
  async close(): Promise<void> {
    this.closing = true;
    this.port.close();
    // An unreferenced worker's exit would not keep the event loop alive until it is reported.
    this.worker.ref();
    await this.worker.terminate();
  }
}

/** Worker threads not yet exited, pooled or in use (for tests: the pool must give them back). */
const liveWorkers = new Set<Worker>();

/** The worker threads themselves (for the tests: how many, and making one fail). */
export function hashWorkerThreads(): readonly Worker[] {
  return [...liveWorkers];
}

/**
 * Idle hashers, kept for the next pass (a worker takes ~30 ms and ~10 MB to
 * start) until IDLE_MS without use: a library user who streams one image and
 * goes on gets the threads and their 8 MiB rings back.
 */
const idle: LayerHasher[] = [];
const IDLE_MS = 2000;
let idleTimer: NodeJS.Timeout | undefined;

function closeIdleHashers(): Promise<void> {
  clearTimeout(idleTimer);
  idleTimer = undefined;
  const closing = idle.splice(0).map((hasher) => (hasher instanceof RingHasher ? hasher.close() : undefined));
  return Promise.all(closing).then(() => {});
}

/**
 * A worker's hasher; where this Node cannot start a worker thread at all
 * (the constructor throws: no worker support, no resources), the same
 * digests on this thread.  A missing worker file is a broken install, not
 * such a case: its HashWorkerError goes up.
 */
function newHasher(): LayerHasher {
  if (hashPlacement() === "thread") return new InThreadHasher();
  try {
    return new RingHasher();
  } catch (error) {
    if (error instanceof HashWorkerError) throw error;
    return new InThreadHasher();
  }
}

/** Where a pass's sha256 and CRC-32 run: a pooled worker thread, or the walking thread itself. */
export type HashPlacement = "worker" | "thread";

let placement: HashPlacement | undefined;

/**
 * Decided once per process: workers unless SLI_HASH_PLACEMENT=thread.
 * Measured on a CPU with SHA instructions (docs/benchmarks.md): on an idle
 * machine the workers are about 10% faster; with the other core busy the
 * walking thread was; the thread always saves the workers' 33 MB.  Without
 * SHA instructions sha256 is the slow part and a worker halves a pass.  So
 * the workers by default (the speed the benchmarks measure), the thread
 * for those who count memory or run on busy cores.
 */
export function hashPlacement(): HashPlacement {
  placement ??= process.env["SLI_HASH_PLACEMENT"] === "thread" ? "thread" : "worker";
  return placement;
}

/**
 * A hasher for one pass over one layer, on a worker thread unless
 * SLI_HASH_PLACEMENT=thread (see hashPlacement), and where possible.
 * Give it back with releaseLayerHasher: passes of images streamed at the same
 * time (two `verify`s, say) each hold their own.  Throws HashWorkerError when
 * the worker cannot be started.
 */
export function acquireLayerHasher(): LayerHasher {
  const hasher = idle.pop() ?? newHasher();
  // While a pass may await the worker, it must keep the process alive.
  if (hasher instanceof RingHasher) hasher.worker.ref();
  return hasher;
}

export function releaseLayerHasher(hasher: LayerHasher): void {
  if (hasher instanceof RingHasher) {
    if (hasher.failed) {
      void hasher.close();
      return;
    }
    hasher.worker.unref();
  }
  idle.push(hasher);
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void closeIdleHashers(), IDLE_MS);
  idleTimer.unref();
}

/**
 * Ends every idle hash worker now (those of passes still running end when
 * they are released and stay idle).  Resolves once they have exited.
 */
export function closeHashWorkers(): Promise<void> {
  return closeIdleHashers();
}
