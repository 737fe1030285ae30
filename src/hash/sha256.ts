/**
 * sha256 of a stream of chunks the caller writes into buffers the hasher
 * lends (`nextBuffer`), computed on the second core when a worker thread is
 * available: the layer walk (reading, tar headers) and the hashing overlap,
 * as `tar | openssl dgst` overlap in two processes, and no byte is copied
 * between them.  The main thread blocks (Atomics.wait) only when every slot
 * is still being hashed, or for the digest, so memory is a fixed 4 MiB.
 */
import { createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { DIGEST_OFFSET, DIGEST_REQUEST, HEAD, LENGTHS, RESULT_READY, SHARED_BYTES, SLOT_BYTES, SLOTS, SLOTS_OFFSET, TAIL } from "./protocol.js";

export interface ChunkSha256 {
  /** A buffer of SLOT_BYTES to fill; valid until it is passed to update(). */
  nextBuffer(): Buffer;
  /** Hashes the first bytes of the buffer last lent (`chunk` must be a view of its start). */
  update(chunk: Buffer): void;
  /** Hex digest of everything since the last digest(); the hash starts over. */
  digest(): string;
}

export class InThreadSha256 implements ChunkSha256 {
  private hash: Hash = createHash("sha256");
  private readonly buffer = Buffer.allocUnsafe(SLOT_BYTES);

  nextBuffer(): Buffer {
    return this.buffer;
  }

  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }

  digest(): string {
    const hex = this.hash.digest("hex");
    this.hash = createHash("sha256");
    return hex;
  }
}

export class RingSha256 implements ChunkSha256 {
  private readonly shared = new SharedArrayBuffer(SHARED_BYTES);
  private readonly control = new Int32Array(this.shared, 0, SLOTS_OFFSET / 4);
  private readonly slots = Array.from({ length: SLOTS }, (_, slot) => Buffer.from(this.shared, SLOTS_OFFSET + slot * SLOT_BYTES, SLOT_BYTES));
  /** Slots committed so far (our copy of HEAD). */
  private head = 0;

  constructor() {
    const worker = new Worker(new URL("./hash-worker.js", import.meta.url), { workerData: this.shared });
    // The worker must not keep the process alive once the main work is done.
    worker.unref();
  }

  /** Waits until the worker is done with the slot `head` will use. */
  private waitForFreeSlot(): void {
    for (;;) {
      const tail = Atomics.load(this.control, TAIL);
      if (this.head - tail < SLOTS) return;
      Atomics.wait(this.control, TAIL, tail, 1000);
    }
  }

  nextBuffer(): Buffer {
    this.waitForFreeSlot();
    return this.slots[this.head % SLOTS]!;
  }

  private commit(length: number): void {
    Atomics.store(this.control, LENGTHS + (this.head % SLOTS), length);
    this.head++;
    Atomics.store(this.control, HEAD, this.head);
    Atomics.notify(this.control, HEAD);
  }

  update(chunk: Buffer): void {
    if (chunk.buffer !== this.shared || chunk.byteOffset !== this.slots[this.head % SLOTS]!.byteOffset) {
      throw new Error("RingSha256.update: the chunk is not the buffer last lent");
    }
    this.commit(chunk.length);
  }

  digest(): string {
    this.waitForFreeSlot();
    Atomics.store(this.control, RESULT_READY, 0);
    this.commit(DIGEST_REQUEST);
    while (Atomics.load(this.control, RESULT_READY) === 0) Atomics.wait(this.control, RESULT_READY, 0, 1000);
    return Buffer.from(this.shared, DIGEST_OFFSET, 32).toString("hex");
  }
}

let shared: ChunkSha256 | undefined;

/** One hasher per process, on a worker thread where possible. */
export function sha256Hasher(): ChunkSha256 {
  if (shared === undefined) {
    try {
      shared = new RingSha256();
    } catch {
      shared = new InThreadSha256();
    }
  }
  return shared;
}
