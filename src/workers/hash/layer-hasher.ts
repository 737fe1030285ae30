/**
 * The hashers passes borrow: a pool of idle RingHashers (a worker thread
 * each, see ring-hasher.ts), or InThreadHashers where the hashing stays on
 * the walking thread (hashPlacement); acquiring, releasing and closing them.
 */
import { HashWorkerError } from "./errors.ts";
import { InThreadHasher, type LayerHasher } from "./hasher.ts";
import { RingHasher } from "./ring-hasher.ts";

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
    return new RingHasher(dropFromPool);
  } catch (error) {
    if (error instanceof HashWorkerError) throw error;
    return new InThreadHasher();
  }
}

/** A hasher whose worker died leaves the pool. */
function dropFromPool(hasher: RingHasher): void {
  const pooled = idle.indexOf(hasher);
  if (pooled >= 0) idle.splice(pooled, 1);
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
 * Layers hashed at a time on worker threads: two (both cores busy, the
 * speed the benchmarks measure), or one with SLI_HASH_WORKERS=1 (a worker's
 * heap less; a memory lever the benchmarks compare).  Read once.
 */
let workerCount: number | undefined;
export function hashWorkerCount(): number {
  workerCount ??= process.env["SLI_HASH_WORKERS"] === "1" ? 1 : 2;
  return workerCount;
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
