/**
 * Where a layer or image goes: the Sink interface and its kinds, a sha256
 * and byte count (the reference's ExtractChecksum), a Node stream honouring
 * backpressure, a buffer in memory.
 */
import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import type { Writable } from "node:stream";

/**
 * Where archive bytes go.  `write` may keep the chunk; it returns a promise
 * only when the writer must wait (backpressure) before sending more.
 */
export interface Sink {
  write(chunk: Buffer): void | Promise<void>;
}

/** The reference's ExtractChecksum: sha256 and byte count, content discarded. */
export class Sha256Sink implements Sink {
  private readonly hash: Hash = createHash("sha256");
  private bytes = 0;

  write(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  /** Hex digest and size; call once, after the last write. */
  extract(): { sha256: string; size: number } {
    return { sha256: this.hash.digest("hex"), size: this.bytes };
  }
}

/** The stream closed (without an error) before the image was written: nothing more can go out. */
export class StreamClosedError extends Error {
  constructor() {
    super("the output stream closed before the image was written");
    this.name = "StreamClosedError";
  }
}

/** Writes to a Node stream, waiting for 'drain' whenever the stream asks to. */
export class StreamSink implements Sink {
  private readonly stream: Writable;
  constructor(stream: Writable) {
    this.stream = stream;
  }

  write(chunk: Buffer): void | Promise<void> {
    if (this.stream.destroyed || this.stream.writableEnded) throw new StreamClosedError();
    if (this.stream.write(chunk)) return;
    return this.drained();
  }

  private async drained(): Promise<void> {
    // 'error' rejects the wait (a broken pipe); a stream destroyed without an
    // error only says 'close', which would otherwise leave the producer waiting forever.
    const closed = new AbortController();
    await Promise.race([
      once(this.stream, "drain", { signal: closed.signal }),
      once(this.stream, "close", { signal: closed.signal }).then(() => {
        throw new StreamClosedError();
      }),
    ]).finally(() => closed.abort());
  }
}

/** Collects everything in memory: for tests and small archives. */
export class BufferSink implements Sink {
  private readonly chunks: Buffer[] = [];

  write(chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
