/**
 * Between HashThread (main thread) and its worker: what the worker is asked
 * to do, the messages it sends back, and one shared counter the main thread
 * waits on (bumped after every message, so a thread blocked in Atomics.wait
 * wakes up to read it with receiveMessageOnPort).
 */
import type { LayerStyle } from "../layer.js";
import type { PythonVersion } from "../profile.js";

export interface HashThreadJob {
  readonly layers: readonly (readonly string[])[];
  readonly mtime: bigint;
  readonly root: string | undefined;
  readonly python: PythonVersion;
  readonly style: LayerStyle;
}

/** An error as it crosses threads (CannotArchiveError keeps its path and reason). */
export interface SentError {
  readonly name: string;
  readonly message: string;
  readonly path?: string;
  readonly reason?: string;
}

export type HashThreadMessage =
  /** Every layer passed the up-front checks; the size each layer's tarball will have. */
  | { readonly kind: "checked"; readonly sizes: readonly number[] }
  /** One layer's hash pass. */
  | { readonly kind: "hashed"; readonly num: number; readonly sha256: string; readonly size: number; readonly entries: Uint8Array; readonly entryCount: number }
  /** The up-front checks (phase "check") or a layer's hash pass (phase "hash", layer num) failed. */
  | { readonly kind: "failed"; readonly phase: "check" | "hash"; readonly num: number; readonly error: SentError };

/** Index of the counter in the shared Int32Array, bumped after every message and every chunk hashed. */
export const SEQ = 0;
/** The layer being hashed, and its KiB hashed so far (for the progress line). */
export const HASHING_LAYER = 1;
export const HASHING_KIB = 2;
export const SHARED_BYTES = 12;
