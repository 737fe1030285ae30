/**
 * compressLayer: a layer's uncompressed chunks in, its compressed chunks
 * out as they are ready (for an upload that streams them), and at the end
 * the compressed digest and size a manifest names.  One code path for the
 * caller whatever the format: "none" passes the chunks through, measured.
 */
import { createHash } from "node:crypto";
import { blockStream } from "./block-stream.ts";
import { CompressAbandonedError, CompressOptionError, CompressUnsupportedError } from "./errors.ts";
import { assertSupported, COMPRESS_FORMATS, resolveLevel, type CompressFormat } from "./format.ts";
import { compressWorkerCount } from "./pool.ts";

export interface CompressOptions {
  readonly format: CompressFormat;
  /** The format's level (gzip 1-9, zstd 1-22); its default when absent. */
  readonly level?: number;
  /** Worker threads for this layer; 0 compresses on the calling thread.  Default: compressWorkerCount().  The bytes do not depend on it. */
  readonly workers?: number;
}

export interface CompressedDigest {
  /** "sha256:<hex>" of the compressed bytes. */
  readonly digest: string;
  /** Bytes of compressed output. */
  readonly size: number;
  /** Bytes of input. */
  readonly uncompressedSize: number;
}

export interface CompressedLayer {
  /** The compressed bytes in order; read it to the end, or return() to abandon the layer (its threads go back to the pool). */
  readonly chunks: AsyncGenerator<Buffer, void, undefined>;
  /** Settles once `chunks` has ended: the digest and size, or the error that ended it (CompressAbandonedError after return()). */
  result(): Promise<CompressedDigest>;
}

async function* passThrough(input: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Buffer, number, undefined> {
  let size = 0;
  for await (const chunk of input) {
    size += chunk.length;
    if (chunk.length > 0) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  }
  return size;
}

interface Outcome {
  resolve(digest: CompressedDigest): void;
  reject(error: unknown): void;
}

/** The chunks of `inner`, digested and counted on their way out; the outcome settled at the end. */
async function* measured(inner: AsyncGenerator<Buffer, number, undefined>, outcome: Outcome): AsyncGenerator<Buffer, void, undefined> {
  const hash = createHash("sha256");
  let size = 0;
  let ended = false;
  try {
    for (;;) {
      const step = await inner.next();
      if (step.done === true) {
        ended = true;
        outcome.resolve({ digest: `sha256:${hash.digest("hex")}`, size, uncompressedSize: step.value });
        return;
      }
      hash.update(step.value);
      size += step.value.length;
      yield step.value;
    }
  } catch (error) {
    ended = true;
    outcome.reject(error);
    throw error;
  } finally {
    if (!ended) {
      outcome.reject(new CompressAbandonedError("the compressed layer was abandoned before its end"));
      await inner.return(0);
    }
  }
}

/**
 * Compresses `input` (chunks of any size, sync or async).  Throws at once
 * for an unknown format (CompressUnsupportedError), a level out of range
 * (CompressOptionError) or zstd on a Node without it; nothing is read before
 * the first `chunks.next()` (a layer never started holds no thread, and
 * its result never settles).
 */
export function compressLayer(input: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: CompressOptions): CompressedLayer {
  const { format } = options;
  if (!COMPRESS_FORMATS.includes(format)) throw new CompressUnsupportedError(`unknown compression format ${JSON.stringify(format)} (none, gzip or zstd)`);
  const level = resolveLevel(format, options.level);
  assertSupported(format);
  const workers = options.workers ?? compressWorkerCount();
  if (!Number.isInteger(workers) || workers < 0) throw new CompressOptionError(`the compression worker count must be a non-negative integer, not ${workers}`);
  let outcome!: Outcome;
  const settled = new Promise<CompressedDigest>((resolve, reject) => (outcome = { resolve, reject }));
  // Nobody need ask for the result of an abandoned layer.
  settled.catch(() => {});
  const inner = format === "none" ? passThrough(input) : blockStream(input, format, level, workers);
  return { chunks: measured(inner, outcome), result: () => settled };
}
