/**
 * A blob's bytes as the audit may trust them, the same for every
 * transport: checked against the digest and size the manifest claims as
 * they pass (checkedBlob), read whole when small (readWholeBlob), and a
 * layer decompressed by its media type or, when the transport cannot say,
 * by its first bytes (layerContent), with the sha256 and size of what came
 * out for the diff_id.  Everything is pulled: a chunk is read from the
 * transport only when the consumer asks for more, and a consumer that
 * stops early closes the transport's stream.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { BlobMismatchError, ImageSourceError, type BlobCompression, type BlobRef, type ConfigRef, type ImageSource } from "./image-source.ts";

/**
 * The blob's bytes as stored, passed through while hashed and counted:
 * more bytes than its size is a mismatch as soon as it is seen, fewer a
 * truncation, another digest a mismatch at the end (what is unknown of
 * the blob is not checked).  `label` names it: "layer 2 (blobs/sha256/…)".
 */
export async function* checkedBlob(source: ImageSource, blob: BlobRef, image: string, label = blob.location): AsyncGenerator<Buffer, void, undefined> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of source.openBlob(blob)) {
    size += chunk.length;
    if (blob.size !== undefined && size > blob.size) throw new BlobMismatchError(image, `${label} has more than the ${blob.size} bytes its manifest gives`);
    hash.update(chunk);
    yield chunk;
  }
  if (blob.size !== undefined && size < blob.size) throw new ImageSourceError(image, `${label} is truncated: ${size} of its ${blob.size} bytes`);
  const found = `sha256:${hash.digest("hex")}`;
  if (blob.digest !== undefined && found !== blob.digest) throw new BlobMismatchError(image, `${label} has digest ${found}, not the ${blob.digest} its manifest claims`);
}

/** The chunks of `chunks` in one buffer; more than `limit` bytes is `tooLarge()`, thrown before they are held. */
export async function collectUpTo(chunks: AsyncIterable<Buffer>, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    length += chunk.length;
    if (length > limit) throw tooLarge();
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** A small blob (a config, a manifest) whole and checked; more than `limit` bytes is refused before it is held. */
export async function readWholeBlob(source: ImageSource, blob: ConfigRef, image: string, limit: number): Promise<Buffer> {
  const tooLarge = (): ImageSourceError => new ImageSourceError(image, `${blob.location} is larger than the ${limit} bytes read whole`);
  if (blob.size !== undefined && blob.size > limit) throw tooLarge();
  return collectUpTo(checkedBlob(source, blob, image), limit, tooLarge);
}

/** What a layer's decompressed content was, once it has been read to its end. */
export interface ContentDigest {
  /** `sha256:<hex>`: the diff_id the config should give. */
  readonly digest: string;
  readonly size: number;
}

export interface LayerContent {
  /** The decompressed bytes, to iterate once. */
  readonly chunks: AsyncIterable<Buffer>;
  /** The digest and size of the decompressed bytes; an error before `chunks` has ended. */
  result(): ContentDigest;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The first chunks of `iterator`, at least 4 bytes of them unless it ends, and the compression they show. */
async function sniff(iterator: AsyncIterator<Buffer>): Promise<{ compression: BlobCompression; head: Buffer[] }> {
  const head: Buffer[] = [];
  let length = 0;
  while (length < ZSTD_MAGIC.length) {
    const step = await iterator.next();
    if (step.done === true) break;
    head.push(step.value);
    length += step.value.length;
  }
  const start = Buffer.concat(head).subarray(0, ZSTD_MAGIC.length);
  const compression = start.subarray(0, 2).equals(GZIP_MAGIC) ? "gzip" : start.equals(ZSTD_MAGIC) ? "zstd" : "none";
  return { compression, head };
}

/** `head`, then the rest of `iterator`; closing this closes `iterator`. */
async function* prefixed(head: readonly Buffer[], iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  try {
    yield* head;
    for (let step = await iterator.next(); step.done !== true; step = await iterator.next()) yield step.value;
  } finally {
    await iterator.return?.();
  }
}

function decompressor(compression: "gzip" | "zstd", image: string, label: string): zlib.Gunzip | zlib.ZstdDecompress {
  if (compression === "gzip") return zlib.createGunzip();
  if (typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress !== "function") {
    throw new ImageSourceError(image, `${label} is zstd-compressed: reading it needs Node ≥ 22.15 (this is ${process.version})`);
  }
  return zlib.createZstdDecompress();
}

function isContractError(error: unknown): boolean {
  return error instanceof ImageSourceError || error instanceof BlobMismatchError;
}

/** A fault of the decompressor as one line naming the layer. */
function decompressionError(error: unknown, compression: string, image: string, label: string): Error {
  const message = (error as Error).message;
  const why = /unexpected end of file/i.test(message) ? `its ${compression} data ends early (${message})` : `it is not valid ${compression} data (${message})`;
  return new ImageSourceError(image, `${label}: ${why}`);
}

/**
 * `input` through the decompressor, each output chunk handed to `tally`.
 * The blob is always read to its end, where checkedBlob checks it: when
 * the decompressor fails, a blob that is not the one its manifest names is
 * the error (the cause), else the corrupt data is.  Stopping early
 * destroys both streams.
 */
async function* inflated(input: AsyncGenerator<Buffer, void, undefined>, compression: "gzip" | "zstd", image: string, label: string, tally: (chunk: Buffer) => void): AsyncGenerator<Buffer, void, undefined> {
  let inflate: zlib.Gunzip | zlib.ZstdDecompress;
  try {
    inflate = decompressor(compression, image, label);
  } catch (error) {
    await input.return();
    throw error;
  }
  const feed = Readable.from(input, { objectMode: false });
  feed.on("error", (error) => inflate.destroy(error));
  feed.pipe(inflate);
  try {
    try {
      for await (const chunk of inflate as AsyncIterable<Buffer>) {
        tally(chunk);
        yield chunk;
      }
    } catch (error) {
      if (isContractError(error)) throw error;
      // `pipe` let go of `feed` when `inflate` failed: read on to the digest check.
      for await (const _ of feed);
      throw decompressionError(error, compression, image, label);
    }
    // Bytes after the compressed data, which the decompressor ignores, are still the blob's: read them to its check.
    for await (const _ of feed);
  } finally {
    inflate.destroy();
    feed.destroy();
  }
}

/** The decompressed bytes of `stored`, each chunk handed to `tally` on its way out. */
async function* decompressed(stored: AsyncIterable<Buffer>, compression: BlobCompression, image: string, label: string, tally: (chunk: Buffer) => void): AsyncGenerator<Buffer, void, undefined> {
  const iterator = stored[Symbol.asyncIterator]();
  let head: Buffer[] = [];
  if (compression === "sniff") ({ compression, head } = await sniff(iterator));
  const input = prefixed(head, iterator);
  if (compression === "gzip" || compression === "zstd") {
    yield* inflated(input, compression, image, label, tally);
    return;
  }
  for await (const chunk of input) {
    tally(chunk);
    yield chunk;
  }
}

/**
 * A layer's decompressed content, its blob checked underneath (its digest
 * and size, when the transport knows them): the compression comes from the
 * BlobRef, "sniff" from the first bytes (1f 8b gzip, 28 b5 2f fd zstd,
 * anything else a plain tar).  `label` names the layer in messages.
 */
export function layerContent(source: ImageSource, blob: BlobRef, image: string, label: string): LayerContent {
  const hash = createHash("sha256");
  let size = 0;
  let ended: ContentDigest | undefined;
  const tally = (chunk: Buffer): void => {
    hash.update(chunk);
    size += chunk.length;
  };
  async function* chunks(): AsyncGenerator<Buffer, void, undefined> {
    yield* decompressed(checkedBlob(source, blob, image, label), blob.compression, image, label, tally);
    ended = { digest: `sha256:${hash.digest("hex")}`, size };
  }
  return {
    chunks: chunks(),
    result: () => {
      if (ended === undefined) throw new Error(`${label}: its content was not read to the end`);
      return ended;
    },
  };
}
