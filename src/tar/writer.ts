/**
 * Writing a tar archive as chunks: TarChunker gathers headers, file contents
 * read in place and the padding into large buffers (reused, or lent by a
 * hasher), and ShortReadError is a file shorter than its header said.
 */
import { readSync } from "node:fs";
import { BLOCK_SIZE, RECORD_SIZE } from "./constants.ts";
import { zeroFill } from "./number.ts";

/** How much output is gathered before it is handed on: few, large writes. */
export const CHUNK_SIZE = 1 << 20;

/** A file that ended before the size its header announced. */
export class ShortReadError extends Error {
  readonly expected: number;
  readonly actual: number;
  constructor(expected: number, actual: number) {
    super(`unexpected end of data: expected ${expected} bytes, read ${actual}`);
    this.expected = expected;
    this.actual = actual;
    this.name = "ShortReadError";
  }
}

/**
 * Serialises a tar stream into chunks of CHUNK_SIZE bytes (the last one
 * shorter).  Methods are generators that yield each chunk as it fills, so a
 * consumer can hash it synchronously or await a stream's backpressure before
 * asking for more.  Every yielded chunk is a fresh buffer the consumer may
 * keep, unless `reuseChunks` is set: then one buffer is refilled, and a chunk
 * is only valid until the next is asked for (no garbage for consumers that
 * copy or hash at once).  `nextBuffer` lends the buffer to fill after each
 * chunk is consumed (a hasher's shared memory, so nothing is copied).
 */
export class TarChunker {
  private readonly reuseChunks: boolean;
  private readonly nextBuffer?: () => Buffer;
  private chunk: Buffer;
  private used = 0;
  /** Bytes of archive written so far, like tarfile's `offset`. */
  private offset = 0;

  constructor(reuseChunks = false, nextBuffer?: () => Buffer) {
    this.reuseChunks = reuseChunks;
    this.nextBuffer = nextBuffer;
    this.chunk = this.freshBuffer();
  }

  private freshBuffer(): Buffer {
    if (this.nextBuffer === undefined) return Buffer.allocUnsafe(CHUNK_SIZE);
    const buffer = this.nextBuffer();
    if (buffer.length < CHUNK_SIZE) throw new RangeError(`TarChunker: lent buffer of ${buffer.length} bytes, need ${CHUNK_SIZE}`);
    return buffer;
  }

  private *take(): Generator<Buffer> {
    const full = this.chunk.length === CHUNK_SIZE ? this.chunk : this.chunk.subarray(0, CHUNK_SIZE);
    this.used = 0;
    yield full;
    // Only once the consumer is done: a lent buffer may be the one just yielded.
    if (!this.reuseChunks || this.nextBuffer !== undefined) this.chunk = this.freshBuffer();
  }

  *bytes(data: Uint8Array): Generator<Buffer> {
    let done = 0;
    while (done < data.length) {
      const n = Math.min(data.length - done, CHUNK_SIZE - this.used);
      this.chunk.set(data.subarray(done, done + n), this.used);
      this.used += n;
      done += n;
      if (this.used === CHUNK_SIZE) yield* this.take();
    }
    this.offset += data.length;
  }

  /**
   * What is gathered so far, as a chunk of its own (shorter than CHUNK_SIZE),
   * so that the next bytes can go out as they are (passOn).
   */
  *flush(): Generator<Buffer> {
    if (this.used === 0) return;
    const part = this.chunk.subarray(0, this.used);
    this.used = 0;
    yield part;
    if (!this.reuseChunks || this.nextBuffer !== undefined) this.chunk = this.freshBuffer();
  }

  /**
   * `data` as the next chunk itself, not copied (after flush(): nothing may
   * be gathered).  For a consumer done with each chunk before asking for the
   * next (reuseChunks), `data` being valid that long: a layer's chunks
   * written into an image as they come from the layer's own chunker.
   */
  *passOn(data: Buffer): Generator<Buffer> {
    if (this.used !== 0) throw new Error("TarChunker.passOn: flush() first");
    this.offset += data.length;
    yield data;
  }

  *zeros(count: number): Generator<Buffer> {
    let left = count;
    while (left > 0) {
      const n = Math.min(left, CHUNK_SIZE - this.used);
      zeroFill(this.chunk, this.used, this.used + n);
      this.used += n;
      left -= n;
      if (this.used === CHUNK_SIZE) yield* this.take();
    }
    this.offset += count;
  }

  /**
   * tarfile's `copyfileobj(f, out, size)` plus block padding: exactly `size`
   * bytes from the file's current position, or from `position` when given
   * (more is ignored, less raises).
   */
  *fileContent(fd: number, size: number, position?: number): Generator<Buffer> {
    let left = size;
    while (left > 0) {
      const want = Math.min(left, CHUNK_SIZE - this.used);
      const got = readSync(fd, this.chunk, this.used, want, position === undefined ? null : position + size - left);
      if (got === 0) throw new ShortReadError(size, size - left);
      this.used += got;
      left -= got;
      if (this.used === CHUNK_SIZE) yield* this.take();
    }
    this.offset += size;
    yield* this.padToBlock();
  }

  *padToBlock(): Generator<Buffer> {
    const remainder = this.offset % BLOCK_SIZE;
    if (remainder > 0) yield* this.zeros(BLOCK_SIZE - remainder);
  }

  /** `TarFile.close()`: two zero blocks, then zeros up to a whole record. */
  *finish(): Generator<Buffer> {
    yield* this.zeros(2 * BLOCK_SIZE);
    const remainder = this.offset % RECORD_SIZE;
    if (remainder > 0) yield* this.zeros(RECORD_SIZE - remainder);
    if (this.used > 0) {
      const last = this.chunk.subarray(0, this.used);
      this.chunk = Buffer.allocUnsafe(0);
      this.used = 0;
      yield last;
    }
  }
}
