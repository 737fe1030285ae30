/**
 * Pull-based byte sources for comparing two tarballs in step: the image we
 * would write (a synchronous chunk generator) and the IMAGE being verified
 * (a Node stream or any async iterable).  Both sides look the same to the
 * comparison, which only ever holds the current chunk, so memory stays
 * constant however large the image is.
 */

export interface ByteSource {
  /**
   * The unread rest of the current chunk (empty at end of input).  Valid
   * until the next call to `current` or `advance`: the expected side refills
   * one buffer, so callers copy what they must keep.
   */
  current(): Promise<Buffer>;
  /** Consumes `n` bytes of what `current` returned. */
  advance(n: number): void;
  /** Bytes consumed so far. */
  readonly position: number;
  /** Bytes consumed so far from the whole stream this source is part of (an offset in IMAGE). */
  readonly absolute: number;
  /** Stops the underlying producer early (generator return, stream destroy). */
  close(): void;
}

const EMPTY = Buffer.alloc(0);

abstract class ChunkedSource implements ByteSource {
  private chunk: Buffer = EMPTY;
  private done = false;
  position = 0;
  get absolute(): number {
    return this.position;
  }

  protected abstract pull(): Promise<Buffer | undefined>;
  abstract close(): void;

  async current(): Promise<Buffer> {
    while (this.chunk.length === 0 && !this.done) {
      const next = await this.pull();
      if (next === undefined) this.done = true;
      else this.chunk = next;
    }
    return this.chunk;
  }

  advance(n: number): void {
    if (n > this.chunk.length) throw new RangeError(`advance(${n}) beyond the ${this.chunk.length} bytes available`);
    this.chunk = this.chunk.subarray(n);
    this.position += n;
  }
}

/** The expected image: chunks of `prepareImage(...).chunks()`. */
export class GeneratorSource extends ChunkedSource {
  private readonly chunks: Generator<Buffer>;
  constructor(chunks: Generator<Buffer>) {
    super();
    this.chunks = chunks;
  }
  protected async pull(): Promise<Buffer | undefined> {
    const next = this.chunks.next();
    return next.done ? undefined : next.value;
  }
  close(): void {
    this.chunks.return(undefined);
  }
}

/** Reading the image under audit failed (the error is `cause`), as opposed to the expected side. */
export class SourceReadError extends Error {
  constructor(options: { cause: unknown }) {
    super((options.cause as Error)?.message ?? String(options.cause), options);
    this.name = "SourceReadError";
  }
}

/** The image under audit: a Readable (file, stdin) or any async iterable of bytes. */
export class AsyncIterableSource extends ChunkedSource {
  private readonly onClose: () => void;
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;
  constructor(iterable: AsyncIterable<Buffer | Uint8Array | string>, onClose: () => void = () => {}) {
    super();
    this.onClose = onClose;
    this.iterator = iterable[Symbol.asyncIterator]();
  }
  protected async pull(): Promise<Buffer | undefined> {
    let next;
    try {
      next = await this.iterator.next();
    } catch (error) {
      throw new SourceReadError({ cause: error });
    }
    if (next.done) return undefined;
    const value = next.value;
    return typeof value === "string" ? Buffer.from(value, "latin1") : Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  close(): void {
    this.onClose();
    void this.iterator.return?.();
  }
}

/** The next `length` bytes of `parent` seen as a source of their own (a member's content). */
export class SliceSource implements ByteSource {
  private readonly parent: ByteSource;
  private readonly length: number;
  private consumed = 0;
  constructor(parent: ByteSource, length: number) {
    this.parent = parent;
    this.length = length;
  }
  get position(): number {
    return this.consumed;
  }
  get absolute(): number {
    return this.parent.absolute;
  }
  get remaining(): number {
    return this.length - this.consumed;
  }
  async current(): Promise<Buffer> {
    const chunk = await this.parent.current();
    return chunk.subarray(0, Math.min(chunk.length, this.length - this.consumed));
  }
  advance(n: number): void {
    if (n > this.length - this.consumed) throw new RangeError(`advance(${n}) beyond the end of the slice`);
    this.parent.advance(n);
    this.consumed += n;
  }
  close(): void {
    this.parent.close();
  }
}

/** Reads up to `n` bytes into a new buffer (fewer only at end of input). */
export async function readUpTo(source: ByteSource, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const chunk = await source.current();
    if (chunk.length === 0) break;
    const take = Math.min(chunk.length, n - got);
    parts.push(Buffer.from(chunk.subarray(0, take)));
    source.advance(take);
    got += take;
  }
  return Buffer.concat(parts, got);
}

/** Skips up to `n` bytes; returns how many were skipped (fewer only at end of input). */
export async function skip(source: ByteSource, n: number): Promise<number> {
  let skipped = 0;
  while (skipped < n) {
    const chunk = await source.current();
    if (chunk.length === 0) break;
    const take = Math.min(chunk.length, n - skipped);
    source.advance(take);
    skipped += take;
  }
  return skipped;
}
