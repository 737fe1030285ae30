/**
 * The compression threads layers borrow: started on first use, lent to one
 * layer at a time (acquire/release), kept idle for the next layer (a thread
 * takes ~30 ms to start) and ended after IDLE_MS without use, so a process
 * that pushed its image can exit; and how many a layer gets by default.
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { CompressThread, liveThreads } from "./compress-thread.ts";
import { CompressWorkerError } from "./errors.ts";

const idle: CompressThread[] = [];
const IDLE_MS = 2000;
let idleTimer: NodeJS.Timeout | undefined;

/** A thread whose worker died leaves the pool. */
function dropFromPool(thread: CompressThread): void {
  const pooled = idle.indexOf(thread);
  if (pooled >= 0) idle.splice(pooled, 1);
}

let defaultCount: number | undefined;

/**
 * Threads per layer when the caller does not say: SLI_COMPRESS_WORKERS (an
 * integer from 0 to 64; 0 compresses on the calling thread), else two, or
 * one on a single core.  Two: the blocks' bytes do not depend on the count,
 * and the main thread still has the walk, the digests and the upload to do.
 * Read once.
 */
export function compressWorkerCount(): number {
  const asked = process.env["SLI_COMPRESS_WORKERS"];
  defaultCount ??= asked !== undefined && /^\d{1,2}$/.test(asked) && Number(asked) <= 64 ? Number(asked) : Math.min(2, availableParallelism());
  return defaultCount;
}

/**
 * Up to `count` threads for one layer, idle ones first.  Fewer (down to
 * none: the caller compresses on its own thread) where this Node cannot
 * start a worker thread; a missing worker file is a broken install and
 * throws its CompressWorkerError.
 */
export function acquireCompressThreads(count: number): CompressThread[] {
  const threads: CompressThread[] = [];
  while (threads.length < count) {
    let thread = idle.pop();
    if (thread === undefined) {
      try {
        thread = new CompressThread(dropFromPool);
      } catch (error) {
        if (error instanceof CompressWorkerError) {
          releaseCompressThreads(threads);
          throw error;
        }
        break;
      }
    }
    // While a layer awaits its blocks, the threads keep the process alive.
    thread.worker.ref();
    threads.push(thread);
  }
  return threads;
}

export function releaseCompressThreads(threads: readonly CompressThread[]): void {
  for (const thread of threads) {
    if (thread.failed) {
      void thread.close();
      continue;
    }
    thread.worker.unref();
    idle.push(thread);
  }
  if (threads.length === 0) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void closeCompressWorkers(), IDLE_MS);
  idleTimer.unref();
}

/** Ends every idle compression thread now; resolves once they have exited. */
export function closeCompressWorkers(): Promise<void> {
  clearTimeout(idleTimer);
  idleTimer = undefined;
  return Promise.all(idle.splice(0).map((thread) => thread.close())).then(() => {});
}

/** The threads not yet exited, idle or lent (for the tests). */
export function compressWorkerThreads(): readonly Worker[] {
  return [...liveThreads];
}

/** How many threads wait idle in the pool (for the tests). */
export function idleCompressThreadCount(): number {
  return idle.length;
}
