/**
 * One block's compression, the same on a worker thread and on the calling
 * thread: a block request (the block, after the dictionary it is compressed
 * against, in one transferable ArrayBuffer) in, the compressed bytes and the
 * block's CRC-32 out.  Every zlib option that could change the bytes is set
 * here explicitly rather than left to a default.
 */
import * as zlib from "node:zlib";
import { ZSTD_BLOCK_BYTES } from "./format.ts";

export type BlockFormat = "gzip" | "zstd";

export interface BlockRequest {
  readonly id: number;
  readonly format: BlockFormat;
  readonly level: number;
  /** The dictionary's `dictionaryLength` bytes, then the block's `length` bytes (the rest unused). */
  readonly buffer: ArrayBuffer;
  readonly dictionaryLength: number;
  readonly length: number;
}

export interface BlockReply {
  readonly id: number;
  /** The compressed block, exactly its size (transferable); undefined when `error` is set. */
  readonly output: ArrayBuffer | undefined;
  /** CRC-32 of the block's bytes (gzip's trailer); 0 for zstd, whose frames carry their own checksum. */
  readonly crc32: number;
  readonly error: string | undefined;
  /** The request's buffer, handed back (transferred) for a later block: a thread that kept it would hold a megabyte of garbage per block until its next GC. */
  readonly input: ArrayBuffer;
}

/**
 * zlib's output pieces for a block's deflate, joined into one buffer of the
 * exact size at the end.  zlib's bytes do not depend on the room it is given
 * (test/compress-gzip.test.ts checks each block against a one-piece
 * deflate).  A buffer with room for the whole block, as before, left a
 * megabyte of garbage per block on a thread whose small heap then collected
 * every few blocks: on the bench's 1 GB, 270 full collections against 65,
 * and 8-10% of the compression's time.
 */
const DEFLATE_CHUNK_BYTES = 32 << 10;

/**
 * ZSTD_compressBound of a 4 MiB block.  The output buffer is not a detail
 * for zstd: when it holds the bound, zstd 1.5 compresses the frame in one
 * shot, otherwise through its streaming buffers, and the bytes differ
 * (measured: 4 MiB blocks at level 3, 0.3216 against 0.3244 of the input).
 * A constant at least the bound of every block pins the one-shot path.
 */
const ZSTD_CHUNK_BYTES = ZSTD_BLOCK_BYTES + (ZSTD_BLOCK_BYTES >>> 8) + 64;

/**
 * Raw deflate ending with a sync flush (an empty stored block), so blocks
 * concatenate into one deflate stream byte-aligned; the stream's final
 * block is gzip-frame.ts's END_BLOCK.
 */
function deflateBlock(data: Uint8Array, dictionary: Uint8Array | undefined, level: number): Buffer {
  return zlib.deflateRawSync(data, {
    level,
    windowBits: 15,
    memLevel: 8,
    strategy: zlib.constants.Z_DEFAULT_STRATEGY,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    chunkSize: DEFLATE_CHUNK_BYTES,
    ...(dictionary === undefined ? {} : { dictionary }),
  });
}

/** A whole zstd frame, with the content size in its header and an XXH64 checksum (as the zstd CLI writes by default). */
function zstdFrame(data: Uint8Array, level: number): Buffer {
  const { ZSTD_c_compressionLevel, ZSTD_c_checksumFlag, ZSTD_c_contentSizeFlag } = zlib.constants;
  return zlib.zstdCompressSync(data, {
    chunkSize: ZSTD_CHUNK_BYTES,
    params: { [ZSTD_c_compressionLevel]: level, [ZSTD_c_checksumFlag]: 1, [ZSTD_c_contentSizeFlag]: 1 },
  });
}

/** The compressed bytes of one block. */
export function encodeBlock(format: BlockFormat, level: number, data: Uint8Array, dictionary: Uint8Array | undefined): Buffer {
  return format === "gzip" ? deflateBlock(data, dictionary, level) : zstdFrame(data, level);
}

/** An ArrayBuffer holding exactly `bytes`: its own when it is exactly that, else a copy (zlib's output is often a view of a larger or pooled one). */
function exactBuffer(bytes: Buffer): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return whole ? (bytes.buffer as ArrayBuffer) : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

/** Runs a request; an exception becomes the reply's error (its message). */
export function runBlock(request: BlockRequest): BlockReply {
  try {
    const view = new Uint8Array(request.buffer, 0, request.dictionaryLength + request.length);
    const dictionary = request.dictionaryLength > 0 ? view.subarray(0, request.dictionaryLength) : undefined;
    const data = view.subarray(request.dictionaryLength);
    const output = exactBuffer(encodeBlock(request.format, request.level, data, dictionary));
    const crc32 = request.format === "gzip" ? zlib.crc32(data) : 0;
    return { id: request.id, output, crc32, error: undefined, input: request.buffer };
  } catch (error) {
    return { id: request.id, output: undefined, crc32: 0, error: (error as Error).message, input: request.buffer };
  }
}
