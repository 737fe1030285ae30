/**
 * RingHasher: a layer's digests computed on a worker thread (hash-worker.ts)
 * from a ring of slots in shared memory that the walking thread fills: the
 * layer walk (reading, tar headers) and the hashing overlap, as
 * `tar | openssl dgst` overlap in two processes, and no byte is copied
 * between them.  Memory is a fixed 8 MiB per hasher.  Where the caller
 * would have to wait for the worker (every slot still being digested, or
 * the result), its generators yield a Pause (see workers/pause.ts).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { HashWorkerError } from "./errors.ts";
import type { LayerDigests, LayerHash, LayerHasher } from "./hasher.ts";
import { pauseWhile, type Pause } from "../pause.ts";
import { CRC_ONLY, CRC_RESULT, DIGEST_OFFSET, FAILED, FINISH_REQUEST, HEAD, LENGTHS, MODE, RESULT_READY, SHA256_AND_CRC, SHA256_ONLY, SHARED_BYTES, SLOT_BYTES, SLOTS, SLOTS_OFFSET, TAIL } from "./protocol.ts";
import { workerBeside } from "../worker-url.ts";

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
  private digests: LayerDigests = "crc32";
  /** Called once if the worker exits without close(): the pool drops the hasher. */
  private readonly onDeath: ((hasher: RingHasher) => void) | undefined;

  constructor(onDeath?: (hasher: RingHasher) => void) {
    this.onDeath = onDeath;
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
        this.onDeath?.(this);
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

  *begin(digests: LayerDigests): Generator<Pause, void> {
    // A pass that threw midway left its bytes in the worker's state: drop them.
    if (this.unfinished) yield* this.finish();
    // The worker reads MODE for every slot: change it only when none is pending.
    yield* this.untilPending(1);
    this.digests = digests;
    Atomics.store(this.control, MODE, digests === "crc32" ? CRC_ONLY : digests === "sha256" ? SHA256_ONLY : SHA256_AND_CRC);
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
      sha256: this.digests === "crc32" ? undefined : Buffer.from(this.shared, DIGEST_OFFSET, 32).toString("hex"),
      crc32: this.digests === "sha256" ? undefined : Atomics.load(this.control, CRC_RESULT) >>> 0,
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
