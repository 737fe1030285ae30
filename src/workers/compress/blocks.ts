/**
 * Cuts a layer's chunks, whatever their sizes, into blocks of a fixed size
 * (the last one shorter), so the compressed bytes never depend on how the
 * input was chunked.  Each block is a buffer of its own the caller may
 * transfer to a worker thread, with room before the block for a dictionary:
 * the last `overlap` bytes of the block before, copied in as the block is
 * started.  The buffer is one the caller handed back in `spare` (a worker
 * returns each block's once done) or a new one: a new megabyte per block
 * had V8 collect every few blocks for the memory outside its heap.
 */

export interface Block {
  /** The dictionary (`dictionaryLength` bytes), then the block's `length` bytes; the caller's to transfer. */
  readonly buffer: ArrayBuffer;
  readonly dictionaryLength: number;
  readonly length: number;
}

/** A block being filled. */
interface Filling {
  readonly bytes: Buffer;
  readonly dictionaryLength: number;
  filled: number;
}

function startBlock(previous: Filling | undefined, blockBytes: number, overlap: number, spare: ArrayBuffer[]): Filling {
  const reused = spare.pop();
  // allocUnsafeSlow: a buffer of its own (never the shared pool), so it can be transferred.
  const bytes = reused?.byteLength === overlap + blockBytes ? Buffer.from(reused) : Buffer.allocUnsafeSlow(overlap + blockBytes);
  if (previous === undefined || overlap === 0) return { bytes, dictionaryLength: 0, filled: 0 };
  const end = previous.dictionaryLength + previous.filled;
  previous.bytes.copy(bytes, 0, end - overlap, end);
  return { bytes, dictionaryLength: overlap, filled: 0 };
}

function done(block: Filling): Block {
  return { buffer: block.bytes.buffer as ArrayBuffer, dictionaryLength: block.dictionaryLength, length: block.filled };
}

/**
 * The blocks of `chunks`: full blocks of `blockBytes`, then the rest if any
 * (no block at all for an empty input).  A full block is yielded once the
 * next one is started, its dictionary copied out.  `overlap` ≤ blockBytes.
 * `spare`: buffers of blocks the caller is done with, taken before allocating.
 */
export async function* fixedBlocks(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, blockBytes: number, overlap: number, spare: ArrayBuffer[] = []): AsyncGenerator<Block, void, undefined> {
  let current: Filling | undefined;
  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; ) {
      if (current === undefined || current.filled === blockBytes) {
        const next = startBlock(current, blockBytes, overlap, spare);
        if (current !== undefined) yield done(current);
        current = next;
      }
      const take = Math.min(chunk.length - offset, blockBytes - current.filled);
      current.bytes.set(chunk.subarray(offset, offset + take), current.dictionaryLength + current.filled);
      current.filled += take;
      offset += take;
    }
  }
  if (current !== undefined) yield done(current);
}
