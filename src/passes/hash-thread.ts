/**
 * The store layers' hash passes on a worker thread, alongside the stream:
 * the main thread waits for the up-front checks of every layer (no content
 * read, so the first byte comes early), then for layer k's hash pass only
 * when it is about to stream layer k.  Layer k streams on this thread while
 * layer k+1 (and further) is hashed on the other core: the two passes
 * overlap instead of following each other.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { EntryLog } from "../entry-log.js";
import { CannotArchiveError, HashWorkerError } from "../errors.js";
import type { HashedLayer } from "../hash-passes.js";
import { pauseWhile, type Pause } from "../pause.js";
import type { ProgressEvent } from "../image.js";
import { HASHING_KIB, HASHING_LAYER, SEQ, SHARED_BYTES, type HashThreadJob, type HashThreadMessage, type SentError } from "./hash-thread-protocol.js";

const WORKER_URL = new URL("./hash-thread-worker.js", import.meta.url);


/** The error the worker met, rebuilt as the class the passes on this thread would have thrown. */
function received(error: SentError): Error {
  if (error.name === "CannotArchiveError" && error.path !== undefined && error.reason !== undefined) return new CannotArchiveError(error.path, error.reason);
  if (error.name === "HashWorkerError") return new HashWorkerError(error.message);
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

/** Threads not yet exited, and when each will have (for the tests: a stream that failed must not leave one behind). */
const running = new Map<Worker, Promise<void>>();

/** Resolves once every hash pass thread started so far has exited. */
export async function hashThreadsExited(): Promise<number> {
  const waiting = [...running.values()];
  await Promise.all(waiting);
  return waiting.length;
}

export class HashThread {
  private readonly seq = new Int32Array(new SharedArrayBuffer(SHARED_BYTES));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly ended: Promise<void>;
  private sizes: readonly number[] | undefined;
  private readonly results = new Map<number, HashedLayer>();
  private failure: { phase: "check" | "hash"; num: number; error: Error } | undefined;
  private closed = false;
  private readonly layers: number;

  private constructor(
    job: HashThreadJob,
    private readonly progress: ((event: ProgressEvent) => void) | undefined,
  ) {
    this.layers = job.layers.length;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    // A small young generation: the walk's garbage is short-lived, and each MiB of nursery is resident memory.
    // (The old generation is left unbounded: a directory of a million entries must not run it out of memory.)
    this.worker = new Worker(WORKER_URL, { workerData: { shared: this.seq.buffer, port: port2, job }, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    this.ended = new Promise<void>((resolve) => {
      this.worker.once("error", (error) => {
        this.failure ??= { phase: "hash", num: -1, error: new HashWorkerError(`the hash pass thread failed: ${error.message}`, { cause: error }) };
        resolve();
      });
      this.worker.once("exit", () => resolve());
    });
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve())).then(() => {
      running.delete(this.worker);
    });
    running.set(this.worker, exited);
  }

  /** A thread for `job`, or undefined where this Node cannot start one (the caller hashes on its own). */
  static start(job: HashThreadJob, progress?: (event: ProgressEvent) => void): HashThread | undefined {
    if (!existsSync(fileURLToPath(WORKER_URL))) throw new HashWorkerError(`Cannot start the hash pass thread: ${JSON.stringify(fileURLToPath(WORKER_URL))} is missing (a broken install?)`);
    try {
      return new HashThread(job, progress);
    } catch {
      return undefined;
    }
  }

  private drain(): void {
    for (let message = receiveMessageOnPort(this.port); message !== undefined; message = receiveMessageOnPort(this.port)) {
      const event = message.message as HashThreadMessage;
      if (event.kind === "checked") this.sizes = event.sizes;
      else if (event.kind === "hashed") {
        this.results.set(event.num, { sha256: event.sha256, crc32: undefined, size: event.size, entries: EntryLog.fromBytes(event.entries, event.entryCount) });
      } else this.failure ??= { phase: event.phase, num: event.num, error: received(event.error) };
    }
  }

  private *until<T>(ready: () => T | undefined, waitingFor?: number): Generator<Pause, T> {
    for (;;) {
      const seen = Atomics.load(this.seq, SEQ);
      this.drain();
      const value = ready();
      if (value !== undefined) return value;
      if (this.failure !== undefined) throw this.failure.error;
      if (waitingFor !== undefined && Atomics.load(this.seq, HASHING_LAYER) === waitingFor && Atomics.load(this.seq, HASHING_KIB) > 0) this.hashing(waitingFor, Atomics.load(this.seq, HASHING_KIB) * 1024);
      // The worker's exit handler posts too.
      yield pauseWhile(this.seq, SEQ, seen, this.ended);
    }
  }

  private hashing(layer: number, bytes: number): void {
    this.progress?.({ phase: "hashing", layer, layers: this.layers, layerBytesDone: bytes, layerBytesTotal: undefined, imageBytesDone: bytes, imageBytesTotal: 0 });
  }

  /** Every layer's up-front checks passed (or the first failure, thrown): the sizes of the layers' tarballs. */
  checked(): Generator<Pause, readonly number[]> {
    return this.until(() => this.sizes);
  }

  /** Layer `num`'s hash pass (or its failure, thrown). */
  *layer(num: number): Generator<Pause, HashedLayer> {
    const result = yield* this.until(() => this.results.get(num), num);
    // Every layer shows its hash pass once, however short it was.
    this.hashing(num, result.size);
    return result;
  }

  /** Stops the thread (at once when the stream ends early). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }
}
