/**
 * A blob's chunks dealt out in pieces, one piece per PATCH: of a known
 * length (an uncompressed layer, whose size the hash pass gave), or up to a
 * length, ending early where the blob ends (a compressed one, whose size is
 * known only at its end).  Chunks may be reused buffers, valid until the
 * next is pulled: a chunk split between two pieces is finished before the
 * next is pulled.
 */
export class PieceSource {
  private readonly chunks: AsyncIterator<Buffer, void, undefined>;
  private rest: Buffer | undefined;
  private ended = false;

  constructor(chunks: AsyncIterator<Buffer, void, undefined>) {
    this.chunks = chunks;
  }

  /** The next chunk not yet dealt out, or undefined at the end. */
  private async pull(): Promise<Buffer | undefined> {
    if (this.rest !== undefined) {
      const rest = this.rest;
      this.rest = undefined;
      return rest;
    }
    while (!this.ended) {
      const next = await this.chunks.next();
      if (next.done === true) this.ended = true;
      else if (next.value.length > 0) return next.value;
    }
    return undefined;
  }

  /** Drops the first `bytes` (what the registry already holds); false when the blob is shorter. */
  async skip(bytes: number): Promise<boolean> {
    for (let left = bytes; left > 0; ) {
      const chunk = await this.pull();
      if (chunk === undefined) return false;
      if (chunk.length > left) this.rest = chunk.subarray(left);
      left -= Math.min(left, chunk.length);
    }
    return true;
  }

  /** Whether any byte is left (pulls one chunk ahead, kept for the next piece). */
  async hasMore(): Promise<boolean> {
    const chunk = await this.pull();
    this.rest = chunk;
    return chunk !== undefined;
  }

  /** The next `length` bytes, or fewer where the blob ends. */
  async *piece(length: number): AsyncGenerator<Buffer, void, undefined> {
    for (let left = length; left > 0; ) {
      const chunk = await this.pull();
      if (chunk === undefined) return;
      if (chunk.length > left) this.rest = chunk.subarray(left);
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      yield part;
    }
  }

  /** Pulls the blob to its end, where the stream pass makes its last checks (CRC, members, size); throws if bytes are left over. */
  async finish(): Promise<void> {
    if ((await this.pull()) !== undefined) throw new Error("layer longer than its hashed size");
  }

  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}
