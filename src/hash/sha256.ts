/**
 * sha256 with a synchronous interface, computed on the second core when a
 * worker thread is available: the layer walk (reading, tar headers) and the
 * hashing then overlap, as `tar | openssl dgst` overlap in two processes.
 * The main thread blocks (Atomics.wait) only when too much is in flight or
 * when it asks for the digest, so memory stays bounded.
 */
import { createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { IN_FLIGHT, RESULT_READY, DIGEST_OFFSET, SHARED_BYTES, type HashRequest } from "./protocol.js";

export interface Sha256 {
  update(chunk: Uint8Array): void;
  /** Hex digest of everything since the last digest(); the hash starts over. */
  digest(): string;
}

export class InThreadSha256 implements Sha256 {
  private hash: Hash = createHash("sha256");

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  digest(): string {
    const hex = this.hash.digest("hex");
    this.hash = createHash("sha256");
    return hex;
  }
}

/** Bytes posted but not hashed yet before update() waits: a few chunks. */
const MAX_IN_FLIGHT = 4 << 20;

export class WorkerSha256 implements Sha256 {
  private readonly shared = new SharedArrayBuffer(SHARED_BYTES);
  private readonly state = new Int32Array(this.shared);
  private readonly worker: Worker;

  constructor() {
    this.worker = new Worker(new URL("./hash-worker.js", import.meta.url), { workerData: this.shared });
    // The worker must not keep the process alive once the main work is done.
    this.worker.unref();
  }

  update(chunk: Uint8Array): void {
    for (;;) {
      const inFlight = Atomics.load(this.state, IN_FLIGHT);
      if (inFlight < MAX_IN_FLIGHT) break;
      Atomics.wait(this.state, IN_FLIGHT, inFlight, 1000);
    }
    Atomics.add(this.state, IN_FLIGHT, chunk.byteLength);
    // Posting copies the bytes: the caller may reuse or hand the chunk on.
    this.worker.postMessage({ type: "chunk", data: chunk } satisfies HashRequest);
  }

  digest(): string {
    Atomics.store(this.state, RESULT_READY, 0);
    this.worker.postMessage({ type: "digest" } satisfies HashRequest);
    while (Atomics.load(this.state, RESULT_READY) === 0) Atomics.wait(this.state, RESULT_READY, 0, 1000);
    return Buffer.from(this.shared, DIGEST_OFFSET, 32).toString("hex");
  }
}

let shared: Sha256 | undefined;

/** One hasher per process, on a worker thread where possible. */
export function sha256Hasher(): Sha256 {
  if (shared === undefined) {
    try {
      shared = new WorkerSha256();
    } catch {
      shared = new InThreadSha256();
    }
  }
  return shared;
}
