/**
 * A layer's blocks compressed in order: each block dispatched as soon as it
 * is cut, to the least busy of the layer's threads (or run right here with
 * none), at most `2 × threads` in flight so memory stays bounded whatever
 * the input's size; the compressed blocks come out in input order, framed
 * (gzip's header and trailer; zstd's frames need none, but an empty input
 * still makes one).
 */
import { crc32Combine, END_BLOCK, gzipHeader, gzipTrailer } from "./gzip-frame.ts";
import { fixedBlocks, type Block } from "./blocks.ts";
import { encodeBlock, runBlock, type BlockFormat, type BlockReply, type BlockRequest } from "./codec.ts";
import type { CompressThread } from "./compress-thread.ts";
import { CompressWorkerError } from "./errors.ts";
import { GZIP_BLOCK_BYTES, GZIP_DICTIONARY_BYTES, ZSTD_BLOCK_BYTES } from "./format.ts";
import { acquireCompressThreads, releaseCompressThreads } from "./pool.ts";

interface InFlight {
  readonly promise: Promise<BlockReply>;
  readonly length: number;
  settled: boolean;
}

/** Request ids are unique in the process: a thread may still owe an abandoned layer's blocks when the next layer borrows it. */
let nextId = 0;

function dispatch(threads: readonly CompressThread[], request: BlockRequest): InFlight {
  let promise: Promise<BlockReply>;
  if (threads.length === 0) {
    const reply = runBlock(request);
    promise = reply.error === undefined ? Promise.resolve(reply) : Promise.reject(new CompressWorkerError(`compressing a block failed: ${reply.error}`));
  } else {
    const idlest = threads.reduce((best, thread) => (thread.pending < best.pending ? thread : best));
    promise = idlest.run(request);
  }
  const inFlight: InFlight = { promise, length: request.length, settled: false };
  // Also marks a rejection as handled: an abandoned layer never awaits its last blocks.
  promise.then(
    () => void (inFlight.settled = true),
    () => void (inFlight.settled = true),
  );
  return inFlight;
}

function request(format: BlockFormat, level: number, block: Block): BlockRequest {
  return { id: nextId++, format, level, buffer: block.buffer, dictionaryLength: block.dictionaryLength, length: block.length };
}

/**
 * The compressed chunks of `input` in `format` (gzip: one member; zstd:
 * one frame per block); returns the uncompressed size.  `workers` threads
 * are borrowed from the pool for the layer and given back at the end, on
 * error, or when the consumer stops early.
 */
export async function* blockStream(input: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, format: BlockFormat, level: number, workers: number): AsyncGenerator<Buffer, number, undefined> {
  const gzip = format === "gzip";
  const threads = workers > 0 ? acquireCompressThreads(workers) : [];
  const limit = Math.max(1, 2 * threads.length);
  const queue: InFlight[] = [];
  let size = 0;
  let crc = 0;
  let nextBlock = 0;
  // Each block's buffer comes back with its reply and carries a later block.
  const spare: ArrayBuffer[] = [];
  const take = async (): Promise<Buffer> => {
    const inFlight = queue.shift()!;
    const reply = await inFlight.promise;
    spare.push(reply.input);
    if (gzip) crc = crc32Combine(crc, reply.crc32, inFlight.length);
    return Buffer.from(reply.output!);
  };
  try {
    if (gzip) yield gzipHeader(level);
    for await (const block of fixedBlocks(input, gzip ? GZIP_BLOCK_BYTES : ZSTD_BLOCK_BYTES, gzip ? GZIP_DICTIONARY_BYTES : 0, spare)) {
      size += block.length;
      nextBlock++;
      queue.push(dispatch(threads, request(format, level, block)));
      // Out as soon as the oldest is done, and wait for it when the window is full.
      while (queue.length >= limit || queue[0]?.settled === true) yield await take();
    }
    while (queue.length > 0) yield await take();
    if (gzip) yield Buffer.concat([END_BLOCK, gzipTrailer(crc, size)]);
    // An empty input is still one frame: zero bytes are no zstd stream to a decoder.
    else if (nextBlock === 0) yield encodeBlock(format, level, new Uint8Array(0), undefined);
    return size;
  } finally {
    releaseCompressThreads(threads);
  }
}
