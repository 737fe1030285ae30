/**
 * CompressThread: one compression worker thread (compress-worker.ts) and
 * the block requests it still owes, each a promise settled by its reply.
 * When the thread fails or exits, every request it owes rejects with a
 * CompressWorkerError and the thread is never lent again.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BlockReply, BlockRequest } from "./codec.ts";
import { CompressWorkerError } from "./errors.ts";
import { workerBeside } from "../worker-url.ts";

const WORKER_URL = workerBeside(new URL("./compress-worker.js", import.meta.url), import.meta.url);
/**
 * Blocks and their output are ArrayBuffers outside the heap; the heap holds
 * the thread's modules only.  Loading them as .ts (Node's type stripping)
 * needs more for a moment.
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: WORKER_URL.pathname.endsWith(".ts") ? 64 : 16, maxYoungGenerationSizeMb: 4 };

interface Owed {
  resolve(reply: BlockReply): void;
  reject(error: Error): void;
}

/** Threads not yet exited, pooled or lent (for the tests: the pool must give them back). */
export const liveThreads = new Set<Worker>();

export class CompressThread {
  readonly worker: Worker;
  private readonly owed = new Map<number, Owed>();
  private failure: CompressWorkerError | undefined;
  private closing = false;
  private readonly onDeath: (thread: CompressThread) => void;

  /** Throws CompressWorkerError when the worker file is missing (a broken install). */
  constructor(onDeath: (thread: CompressThread) => void) {
    this.onDeath = onDeath;
    const file = fileURLToPath(WORKER_URL);
    if (!existsSync(file)) throw new CompressWorkerError(`Cannot start the compression worker: ${JSON.stringify(file)} is missing (a broken install?)`);
    this.worker = new Worker(WORKER_URL, { resourceLimits: RESOURCE_LIMITS });
    this.worker.unref();
    liveThreads.add(this.worker);
    this.worker.on("message", (reply: BlockReply) => this.settle(reply));
    this.worker.on("error", (error) => this.fail(`the compression worker thread failed: ${error.message}`, error));
    this.worker.on("exit", (code) => {
      liveThreads.delete(this.worker);
      if (!this.closing) this.fail(`the compression worker thread exited (code ${code})`);
    });
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.owed.size;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  private settle(reply: BlockReply): void {
    const owed = this.owed.get(reply.id);
    this.owed.delete(reply.id);
    if (reply.error !== undefined) owed?.reject(new CompressWorkerError(`compressing a block failed: ${reply.error}`));
    else owed?.resolve(reply);
  }

  private fail(message: string, cause?: unknown): void {
    this.failure ??= new CompressWorkerError(message, { cause });
    for (const owed of this.owed.values()) owed.reject(this.failure);
    this.owed.clear();
    this.onDeath(this);
  }

  /** Sends the request, its buffer transferred (the caller must not touch it again). */
  run(request: BlockRequest): Promise<BlockReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<BlockReply>((resolve, reject) => {
      this.owed.set(request.id, { resolve, reject });
      this.worker.postMessage(request, [request.buffer]);
    });
  }

  /** Ends the thread; resolves once it has exited.  Requests still owed (an abandoned layer's) reject. */
  async close(): Promise<void> {
    this.closing = true;
    this.failure ??= new CompressWorkerError("the compression worker thread was closed");
    for (const owed of this.owed.values()) owed.reject(this.failure);
    this.owed.clear();
    this.worker.ref();
    await this.worker.terminate();
  }
}
