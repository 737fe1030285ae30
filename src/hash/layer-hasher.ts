/**
 * Digests of a layer's stream of chunks, which the caller writes into
 * buffers the hasher lends (`nextBuffer`), computed on the second core when a
 * worker thread is available: the layer walk (reading, tar headers) and the
 * hashing overlap, as `tar | openssl dgst` overlap in two processes, and no
 * byte is copied between them.  The main thread blocks (Atomics.wait) only
 * when every slot is still being digested, or for the result, so memory is a
 * fixed 8 MiB.
 *
 * Each layer gets a CRC-32, and a sha256 when asked: the hash pass needs the
 * sha256 (the layer's name and diff_id); the stream pass only has to show it
 * produced the same bytes, which the CRC-32 does at ten times the speed.
 */
import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Worker } from "node:worker_threads";
import {
  CRC_ONLY,
  CRC_RESULT,
  DIGEST_OFFSET,
  FINISH_REQUEST,
  HEAD,
  LENGTHS,
  MODE,
  RESULT_READY,
  SHARED_BYTES,
  SLOT_BYTES,
  SLOTS,
  SLOTS_OFFSET,
  TAIL,
  WITH_SHA256,
} from "./protocol.js";

export interface LayerDigest {
  /** Hex sha256, when begin() asked for it. */
  readonly sha256: string | undefined;
  /** CRC-32 of the same bytes (unsigned). */
  readonly crc32: number;
}

export interface LayerHasher {
  /** Starts a new stream of chunks (dropping any unfinished one); call before the first nextBuffer() of a layer. */
  begin(withSha256: boolean): void;
  /** A buffer of SLOT_BYTES to fill; valid until it is passed to update(). */
  nextBuffer(): Buffer;
  /** Digests the first bytes of the buffer last lent (`chunk` must be a view of its start). */
  update(chunk: Buffer): void;
  /** The digests of everything since begin(). */
  finish(): LayerDigest;
  /** Whether another chunk can be handed over without waiting for the worker. */
  hasRoom(): boolean;
}

export class InThreadHasher implements LayerHasher {
  private hash: Hash | undefined;
  private crc = 0;
  private readonly buffer = Buffer.allocUnsafe(SLOT_BYTES);

  begin(withSha256: boolean): void {
    this.hash = withSha256 ? createHash("sha256") : undefined;
    this.crc = 0;
  }

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

  finish(): LayerDigest {
    return { sha256: this.hash?.digest("hex"), crc32: this.crc >>> 0 };
  }
}

export class RingHasher implements LayerHasher {
  private readonly shared = new SharedArrayBuffer(SHARED_BYTES);
  private readonly control = new Int32Array(this.shared, 0, SLOTS_OFFSET / 4);
  private readonly slots = Array.from({ length: SLOTS }, (_, slot) => Buffer.from(this.shared, SLOTS_OFFSET + slot * SLOT_BYTES, SLOT_BYTES));
  /** Slots committed so far (our copy of HEAD). */
  private head = 0;
  /** Chunks went in since the last finish(): a layer abandoned by an exception. */
  private unfinished = false;
  private withSha256 = false;

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

  private waitForIdle(): void {
    for (;;) {
      const tail = Atomics.load(this.control, TAIL);
      if (tail === this.head) return;
      Atomics.wait(this.control, TAIL, tail, 1000);
    }
  }

  begin(withSha256: boolean): void {
    // A pass that threw midway left its bytes in the worker's state: drop them.
    if (this.unfinished) this.finish();
    // The worker reads MODE for every slot: change it only when none is pending.
    this.waitForIdle();
    this.withSha256 = withSha256;
    Atomics.store(this.control, MODE, withSha256 ? WITH_SHA256 : CRC_ONLY);
  }

  nextBuffer(): Buffer {
    this.waitForFreeSlot();
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

  finish(): LayerDigest {
    this.unfinished = false;
    this.waitForFreeSlot();
    Atomics.store(this.control, RESULT_READY, 0);
    this.commit(FINISH_REQUEST);
    while (Atomics.load(this.control, RESULT_READY) === 0) Atomics.wait(this.control, RESULT_READY, 0, 1000);
    return {
      sha256: this.withSha256 ? Buffer.from(this.shared, DIGEST_OFFSET, 32).toString("hex") : undefined,
      crc32: Atomics.load(this.control, CRC_RESULT) >>> 0,
    };
  }
}

/** Hashers no pass is using: each owns a worker, so they are kept for the next pass. */
const idle: LayerHasher[] = [];

/**
 * A hasher for one pass over one layer, on a worker thread where possible.
 * Give it back with releaseLayerHasher: passes of images streamed at the same
 * time (two `verify`s, say) each hold their own.
 */
export function acquireLayerHasher(): LayerHasher {
  const reused = idle.pop();
  if (reused !== undefined) return reused;
  try {
    return new RingHasher();
  } catch {
    return new InThreadHasher();
  }
}

export function releaseLayerHasher(hasher: LayerHasher): void {
  idle.push(hasher);
}
