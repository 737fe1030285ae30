/**
 * The hash passes of all store layers, run before the first byte is written.
 * Two layers are hashed at a time, each by its own worker, while the main
 * thread walks both: sha256 is the slow part of a hash pass (no SHA
 * instructions on many CPUs), and a second worker puts the second core to
 * work on it.  The main thread feeds whichever layer's worker has room.
 * With SLI_HASH_WORKERS=1, one layer at a time on one worker (a worker's
 * memory less); with SLI_HASH_PLACEMENT=thread, one layer at a time on the
 * main thread (see hashPlacement, hashWorkerCount).
 *
 * Errors come out as if the layers were hashed one after the other: when a
 * layer fails, the layers before it still run to their end, and the first
 * failing layer's error is the one thrown.
 */
import { layerChunks, type EntryRecord } from "../layer/layer.ts";
import type { LayerStyle } from "../layer/layer-walk.ts";
import { EntryLog } from "./entry-log.ts";
import type { WalkedEntry } from "../store/walk.ts";
import type { Stats } from "node:fs";
import { WalkedList } from "../store/walked-list.ts";
import { acquireLayerHasher, hashPlacement, hashWorkerCount, releaseLayerHasher } from "../workers/hash/layer-hasher.ts";
import type { LayerHasher } from "../workers/hash/hasher.ts";
import type { PythonVersion } from "../profile/python.ts";
import type { ProgressEvent } from "./progress-event.ts";
import { YIELD, awaiting, runSync, type Pause } from "../workers/pause.ts";

/** A store layer after its hash pass, or from the digest cache: what the stream pass must reproduce. */
export interface HashedLayer {
  readonly sha256: string;
  /** CRC-32 of the same bytes: what the stream pass checks its bytes against. */
  readonly crc32: number;
  readonly size: number;
  /** The layer's walk as the hash pass found it: what the digest cache keeps to check a later run against (only with HashPassOptions.recordWalks). */
  readonly record?: WalkedList | undefined;
  /** Each member as the hash pass saw it (the stream pass compares); none for a layer from the digest cache. */
  readonly entries: EntryLog | undefined;
  /** A layer from the digest cache: the walk the cache kept, which it is streamed from (no walk again). */
  readonly walked?: WalkedList | undefined;
}

export interface HashPassOptions {
  readonly root: string | undefined;
  readonly python: PythonVersion;
  readonly progress: ((event: ProgressEvent) => void) | undefined;
  /** The script generation's way of writing a layer (see layerStyle). */
  readonly style: LayerStyle;
  /** Layers hashed at a time (default hashWorkerCount() on workers, 2 unless SLI_HASH_WORKERS=1; 1 on this thread). */
  readonly concurrency?: number;
  /** Keep each hashed layer's walk (for the digest cache to record; a cost per entry otherwise spared). */
  readonly recordWalks?: boolean | undefined;
  /** A layer already known (the digest cache), or undefined to hash it. */
  readonly known?: ((num: number) => HashedLayer | undefined) | undefined;
  /**
   * Hashes a layer not known instead of a pass here, one layer at a time
   * (push: the layer's first pass is its upload, see firstPass); only for
   * the asynchronous driver.
   */
  readonly elsewhere?: HashElsewhere | undefined;
}

/** What a layer's first pass needs besides its paths and the time. */
export type FirstPassOptions = Pick<HashPassOptions, "root" | "python" | "style" | "recordWalks" | "progress">;

/** Hashes store layer `num` (of `layers`) by other means: resolves with what its hash pass would have left. */
export type HashElsewhere = (num: number, layers: number, paths: readonly string[], mtime: bigint, options: FirstPassOptions) => Promise<HashedLayer>;

/** A layer's first pass, its bytes handed on as they are hashed. */
export interface FirstPass {
  /** The layer's bytes (each chunk valid until the next is asked for) and the pauses between them. */
  readonly items: Generator<Buffer | Pause, void>;
  /** Once `items` has ended: what the pass leaves, as hashPasses does. */
  result(): HashedLayer;
}

interface RunningPass {
  readonly num: number;
  readonly chunks: Generator<Buffer>;
  readonly hasher: LayerHasher;
  readonly entries: EntryLog;
  readonly record: WalkedList | undefined;
  size: number;
}

function* startPass(num: number, paths: readonly string[], mtime: bigint, options: FirstPassOptions): Generator<Pause, RunningPass> {
  const hasher = acquireLayerHasher();
  let begun = false;
  try {
    yield* hasher.begin("sha256+crc32");
    begun = true;
  } finally {
    // Also when the steps are abandoned (return) while waiting for the worker.
    if (!begun) releaseLayerHasher(hasher);
  }
  const entries = new EntryLog();
  const record = options.recordWalks === true ? new WalkedList() : undefined;
  const onEntry = (entry: EntryRecord): void => entries.push(entry);
  const onWalked = record === undefined ? undefined : (entry: WalkedEntry): void => record.push(entry);
  const onStorePathLink = record === undefined ? undefined : (top: WalkedEntry, directory: Stats | undefined): void => record.pushLinkTarget(top, directory);
  const chunks = layerChunks(paths, mtime, { root: options.root, python: options.python, style: options.style, reuseChunks: true, onEntry, onWalked, onStorePathLink, nextBuffer: () => hasher.nextBuffer() });
  return { num, chunks, hasher, entries, record, size: 0 };
}

/**
 * Store layer `num`'s hash pass whose bytes also go on (push reads each
 * layer the registry lacks once: hashed, compressed and uploaded together);
 * hashing progress as hashPasses reports it.
 */
export function firstPass(num: number, layers: number, paths: readonly string[], mtime: bigint, options: FirstPassOptions): FirstPass {
  let result: HashedLayer | undefined;
  function* items(): Generator<Buffer | Pause, void> {
    const pass = yield* startPass(num, paths, mtime, options);
    try {
      for (;;) {
        // The layer's walk asks for a buffer in this step: make sure one is free.
        yield* pass.hasher.room();
        const step = pass.chunks.next();
        if (step.done) break;
        pass.hasher.update(step.value);
        pass.size += step.value.length;
        // The image's bytes are this layer's: the caller adds those of the layers before it.
        options.progress?.({ phase: "hashing", layer: num, layers, layerBytesDone: pass.size, layerBytesTotal: undefined, imageBytesDone: pass.size, imageBytesTotal: 0 });
        yield step.value;
        yield YIELD;
      }
      const { sha256, crc32 } = yield* pass.hasher.finish();
      result = { sha256: sha256!, crc32: crc32!, size: pass.size, record: pass.record, entries: pass.entries };
    } finally {
      // Finished, failed or abandoned by the consumer: the files closed, the hasher back in the pool.
      pass.chunks.return(undefined);
      releaseLayerHasher(pass.hasher);
    }
  }
  return {
    items: items(),
    result: () => {
      if (result === undefined) throw new Error(`layer ${num}'s first pass has not ended`);
      return result;
    },
  };
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
  const run = new HashPassRun(layers, mtime, options);
  try {
    for (;;) {
      while (run.canStart()) yield* run.startNext();
      if (run.running.length === 0) break;
      const pass = run.nextToFeed();
      // The layer's walk asks for a buffer in this step: make sure one is free.
      yield* pass.hasher.room();
      let step: IteratorResult<Buffer>;
      try {
        step = pass.chunks.next();
      } catch (error) {
        run.failed(pass, error);
        continue;
      }
      if (step.done) {
        yield* run.finished(pass);
        continue;
      }
      run.hashed(pass, step.value);
      yield YIELD;
    }
  } finally {
    // Empty unless a step threw or the steps were abandoned midway.
    for (const pass of run.running) abandon(pass);
  }
  if (run.failure !== undefined) throw run.failure.error;
  return run.results;
}

/** The state of one hashPassSteps: the layers waiting, the passes running, the first failure so far. */
class HashPassRun {
  readonly results: HashedLayer[] = [];
  running: RunningPass[] = [];
  failure: { num: number; error: unknown } | undefined;
  private readonly layers: readonly (readonly string[])[];
  private readonly mtime: bigint;
  private readonly options: HashPassOptions;
  private readonly waiting: number[];
  private readonly concurrency: number;
  private hashedBytes = 0;

  constructor(layers: readonly (readonly string[])[], mtime: bigint, options: HashPassOptions) {
    this.layers = layers;
    this.mtime = mtime;
    this.options = options;
    this.waiting = layers.map((_, num) => num);
    // Two layers at a time keep two workers busy; hashing on this thread, one at a time is as fast.
    this.concurrency = Math.max(1, options.concurrency ?? (hashPlacement() === "worker" ? hashWorkerCount() : 1));
  }

  /** Whether another layer may start: a place free, a layer waiting, and that layer below any failure. */
  canStart(): boolean {
    return this.running.length < this.concurrency && this.waiting.length > 0 && (this.failure === undefined || this.waiting[0]! < this.failure.num);
  }

  /** The next waiting layer: known already (the digest cache), hashed elsewhere (awaited), or its pass started. */
  *startNext(): Generator<Pause, void> {
    const num = this.waiting.shift()!;
    const known = this.options.known?.(num);
    const { elsewhere } = this.options;
    if (known !== undefined) this.results[num] = known;
    else if (elsewhere !== undefined) {
      const { progress } = this.options;
      const before = this.hashedBytes;
      // The layer's events count the image's bytes from those hashed before it.
      const counted = progress === undefined ? undefined : (event: ProgressEvent): void => progress({ ...event, imageBytesDone: before + event.layerBytesDone });
      const result = yield* awaiting(elsewhere(num, this.layers.length, this.layers[num]!, this.mtime, { ...this.options, progress: counted }));
      this.hashedBytes += result.size;
      this.results[num] = result;
    } else this.running.push(yield* startPass(num, this.layers[num]!, this.mtime, this.options));
  }

  /** The lowest layer first, unless its worker is busy and another's is not. */
  nextToFeed(): RunningPass {
    for (const pass of this.running) if (pass.hasher.hasRoom()) return pass;
    return this.running[0]!;
  }

  /** A pass's walk threw: the first failing layer's error wins, and the layers after it stop. */
  failed(pass: RunningPass, error: unknown): void {
    if (this.failure === undefined || pass.num < this.failure.num) this.failure = { num: pass.num, error };
    // Layers after the failing one need not finish: their errors would come later.
    for (const later of this.running.filter((other) => other.num >= pass.num)) {
      if (later !== pass) abandon(later);
      else releaseLayerHasher(pass.hasher);
    }
    this.running = this.running.filter((other) => other.num < pass.num);
  }

  /** A pass's walk ended: its digests are the layer's. */
  *finished(pass: RunningPass): Generator<Pause, void> {
    const { sha256, crc32 } = yield* pass.hasher.finish();
    releaseLayerHasher(pass.hasher);
    this.running = this.running.filter((other) => other !== pass);
    this.results[pass.num] = { sha256: sha256!, crc32: crc32!, size: pass.size, record: pass.record, entries: pass.entries };
  }

  /** A chunk of a pass's layer to its hasher, and the progress of the lowest layer running. */
  hashed(pass: RunningPass, chunk: Buffer): void {
    pass.hasher.update(chunk);
    pass.size += chunk.length;
    this.hashedBytes += chunk.length;
    let lowest = this.running[0]!;
    for (const other of this.running) if (other.num < lowest.num) lowest = other;
    this.options.progress?.({
      phase: "hashing",
      layer: lowest.num,
      layers: this.layers.length,
      layerBytesDone: lowest.size,
      layerBytesTotal: undefined,
      imageBytesDone: this.hashedBytes,
      imageBytesTotal: 0,
    });
  }
}
