/**
 * The hash passes of all store layers, run before the first byte is written.
 * Two layers are hashed at a time, each by its own worker, while the main
 * thread walks both: sha256 is the slow part of a hash pass (no SHA
 * instructions on many CPUs), and a second worker puts the second core to
 * work on it.  The main thread feeds whichever layer's worker has room.
 * With SLI_HASH_PLACEMENT=thread, one layer at a time on the main thread
 * (see hashPlacement).
 *
 * Errors come out as if the layers were hashed one after the other: when a
 * layer fails, the layers before it still run to their end, and the first
 * failing layer's error is the one thrown.
 */
import { layerChunks, type EntryRecord, type LayerStyle } from "../layer/layer.ts";
import { EntryLog } from "./entry-log.ts";
import { acquireLayerHasher, hashPlacement, releaseLayerHasher, type LayerHasher } from "../workers/hash/layer-hasher.ts";
import type { PythonVersion } from "../profile/python.ts";
import type { ProgressEvent } from "./progress-event.ts";
import { YIELD, runSync, type Pause } from "../workers/pause.ts";

/** A store layer after its hash pass: what the stream pass must reproduce. */
export interface HashedLayer {
  readonly sha256: string;
  /** CRC-32 of the same bytes: what the stream pass checks its bytes against. */
  readonly crc32: number;
  readonly size: number;
  readonly entries: EntryLog;
}

export interface HashPassOptions {
  readonly root: string | undefined;
  readonly python: PythonVersion;
  readonly progress: ((event: ProgressEvent) => void) | undefined;
  /** The script generation's way of writing a layer (see layerStyle). */
  readonly style: LayerStyle;
  /** Layers hashed at a time (default 2 on workers, one per core; 1 on this thread). */
  readonly concurrency?: number;
  /** A layer already known (the digest cache), or undefined to hash it. */
  readonly known?: ((num: number) => Generator<Pause, HashedLayer | undefined>) | undefined;
}

interface RunningPass {
  readonly num: number;
  readonly chunks: Generator<Buffer>;
  readonly hasher: LayerHasher;
  readonly entries: EntryLog;
  size: number;
}

function* startPass(num: number, paths: readonly string[], mtime: bigint, options: HashPassOptions): Generator<Pause, RunningPass> {
  const hasher = acquireLayerHasher();
  let begun = false;
  try {
    yield* hasher.begin(true);
    begun = true;
  } finally {
    // Also when the steps are abandoned (return) while waiting for the worker.
    if (!begun) releaseLayerHasher(hasher);
  }
  const entries = new EntryLog();
  const onEntry = (record: EntryRecord): void => entries.push(record);
  const chunks = layerChunks(paths, mtime, { root: options.root, python: options.python, style: options.style, reuseChunks: true, onEntry, nextBuffer: () => hasher.nextBuffer() });
  return { num, chunks, hasher, entries, size: 0 };
}

/** Stops a pass midway: its generator's files are closed, its hasher goes back to the pool (begin() drops the rest). */
function abandon(pass: RunningPass): void {
  try {
    pass.chunks.return(undefined);
  } finally {
    releaseLayerHasher(pass.hasher);
  }
}

/** The reference's first pass over every layer: digest, size, and each member as seen. */
export function hashPasses(layers: readonly (readonly string[])[], mtime: bigint, options: HashPassOptions): HashedLayer[] {
  return runSync(hashPassSteps(layers, mtime, options));
}

/** hashPasses as steps: pauses where the worker must be waited for, and after every chunk. */
export function* hashPassSteps(layers: readonly (readonly string[])[], mtime: bigint, options: HashPassOptions): Generator<Pause, HashedLayer[]> {
  const results: HashedLayer[] = [];
  const waiting = layers.map((_, num) => num);
  let running: RunningPass[] = [];
  let failure: { num: number; error: unknown } | undefined;
  let hashedBytes = 0;
  // Two layers at a time keep two workers busy; hashing on this thread, one at a time is as fast.
  const concurrency = Math.max(1, options.concurrency ?? (hashPlacement() === "worker" ? 2 : 1));
  try {
    for (;;) {
      while (running.length < concurrency && waiting.length > 0 && (failure === undefined || waiting[0]! < failure.num)) {
        const num = waiting.shift()!;
        let known: HashedLayer | undefined;
        try {
          if (options.known !== undefined) known = yield* options.known(num);
        } catch (error) {
          // Below any failure so far (see the loop's condition); a running pass's, of a lower layer, still comes first.
          failure = { num, error };
          continue;
        }
        if (known !== undefined) results[num] = known;
        else running.push(yield* startPass(num, layers[num]!, mtime, options));
      }
      if (running.length === 0) break;
      // The lowest layer first, unless its worker is busy and another's is not.
      const pass = running.find((candidate) => candidate.hasher.hasRoom()) ?? running[0]!;
      // The layer's walk asks for a buffer in this step: make sure one is free.
      yield* pass.hasher.room();
      let step: IteratorResult<Buffer>;
      try {
        step = pass.chunks.next();
      } catch (error) {
        if (failure === undefined || pass.num < failure.num) failure = { num: pass.num, error };
        // Layers after the failing one need not finish: their errors would come later.
        for (const later of running.filter((other) => other.num >= pass.num)) {
          if (later !== pass) abandon(later);
          else releaseLayerHasher(pass.hasher);
        }
        running = running.filter((other) => other.num < pass.num);
        continue;
      }
      if (step.done) {
        const { sha256, crc32 } = yield* pass.hasher.finish();
        releaseLayerHasher(pass.hasher);
        running = running.filter((other) => other !== pass);
        results[pass.num] = { sha256: sha256!, crc32, size: pass.size, entries: pass.entries };
        continue;
      }
      pass.hasher.update(step.value);
      pass.size += step.value.length;
      hashedBytes += step.value.length;
      const lowest = running.reduce((low, other) => (other.num < low.num ? other : low));
      options.progress?.({
        phase: "hashing",
        layer: lowest.num,
        layers: layers.length,
        layerBytesDone: lowest.size,
        layerBytesTotal: undefined,
        imageBytesDone: hashedBytes,
        imageBytesTotal: 0,
      });
      yield YIELD;
    }
  } finally {
    // Empty unless a step threw or the steps were abandoned midway.
    for (const pass of running) abandon(pass);
  }
  if (failure !== undefined) throw failure.error;
  return results;
}
