/**
 * A layer's blob as published: the layer's bytes (image.asyncLayerChunks,
 * with the stream pass's checks) compressed as they stream (compressLayer:
 * deterministic, so a blob compressed again is the same bytes, which is what
 * lets a broken-off upload resume at the registry's offset), and at the end
 * the blob's digest and size.  When the layer's diff_id was not computed
 * from these bytes (a digest cache entry, the customisation layer's
 * `checksum` file), the uncompressed bytes are hashed on the way in and must
 * be that diff_id: a compressed blob's digest is ours, so the registry
 * checks nothing of the diff_id (uncompressed, the registry does).  Or a
 * store layer's first pass (openFirstPassBlob), whose diff_id is computed
 * from the very bytes compressed.
 */
import { createHash, type Hash } from "node:crypto";
import type { PreparedImage } from "../image/types.ts";
import type { Compression, CompressedBlob } from "../passes/blob-cache.ts";
import type { FirstPass } from "../passes/hash-passes.ts";
import { chunksAsync } from "../workers/pause.ts";
import { compressLayer } from "../workers/compress/compress-layer.ts";
import { DiffIdMismatchError } from "./errors.ts";

export interface LayerBlobStream {
  /** The blob's bytes; read to the end, or return() to abandon it (its threads go back to the pool). */
  readonly chunks: AsyncGenerator<Buffer, void, undefined>;
  /** Once `chunks` has ended: the blob's digest and size; DiffIdMismatchError when the layer's bytes are not its diff_id. */
  result(): Promise<CompressedBlob>;
}

/** The input chunks, hashed and counted on their way to the compressor. */
async function* tapped(input: AsyncIterable<Buffer>, hash: Hash | undefined, onRead: ((bytes: number) => void) | undefined): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of input) {
    hash?.update(chunk);
    onRead?.(chunk.length);
    yield chunk;
  }
}

/**
 * Layer `index` of `image` as a blob compressed with `compression`; `onRead`
 * is told the uncompressed bytes read (for progress).  Uncompressed, the
 * blob is the layer: its diff_id is checked by whoever names the blob by it.
 */
export function openLayerBlob(image: PreparedImage, index: number, compression: Compression, onRead?: (bytes: number) => void): LayerBlobStream {
  const layer = image.layers[index]!;
  const checkDiffId = compression.format !== "none" && (layer.customisation || image.cachedLayers.has(index));
  const hash = checkDiffId ? createHash("sha256") : undefined;
  const compressed = compressLayer(tapped(image.asyncLayerChunks(index), hash, onRead), compression);
  const result = async (): Promise<CompressedBlob> => {
    const { digest, size } = await compressed.result();
    const actual = hash?.digest("hex");
    if (actual !== undefined && actual !== layer.sha256) {
      throw new DiffIdMismatchError(`Layer ${index + 1}/${image.layers.length}: its bytes have sha256:${actual}, not its diff_id sha256:${layer.sha256}`);
    }
    return { digest, size };
  };
  return { chunks: compressed.chunks, result };
}

/**
 * A store layer's first pass as a compressed blob: the layer read once,
 * hashed (its diff_id, pass.result(), known at the end) and compressed
 * together.  Only for a compressed blob, whose digest is learnt at the end
 * anyway.
 */
export function openFirstPassBlob(pass: FirstPass, compression: Compression, onRead?: (bytes: number) => void): LayerBlobStream {
  const compressed = compressLayer(tapped(chunksAsync(pass.items), undefined, onRead), compression);
  const result = async (): Promise<CompressedBlob> => {
    const { digest, size } = await compressed.result();
    return { digest, size };
  };
  return { chunks: compressed.chunks, result };
}
