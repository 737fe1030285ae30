/**
 * oci/blob-content.ts over an in-memory ImageSource: layers decompressed
 * by media type or by their first bytes, the decompressed digest, the
 * checks of the stored blob (digest, size, truncation), corrupt gzip and
 * zstd, zstd on a Node without it (one line), and the pulling: chunks are
 * read from the transport only as the consumer asks, and a consumer that
 * stops early closes the transport's stream.  Run under Node 24 too for
 * zstd (Node 20's zlib has none).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import zlib from "node:zlib";
import { checkedBlob, layerContent, readWholeBlob } from "../src/oci/blob-content.ts";
import { BlobMismatchError, ImageSourceError, type BlobCompression, type BlobRef, type ImageSource } from "../src/oci/image-source.ts";
import { oneLineRejection, sha256 } from "./support/image-sources.ts";

const IMAGE = "oci:/tmp/x:1";
const HAS_ZSTD = typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === "function";

/** An ImageSource of one blob, served in chunks of `chunk` bytes, counting what was pulled and whether it was closed. */
class MemorySource implements ImageSource {
  pulled = 0;
  closed = false;
  bytesRead = 0;
  private readonly bytes: Buffer;
  private readonly chunk: number;
  constructor(bytes: Buffer, chunk = 1024) {
    this.bytes = bytes;
    this.chunk = chunk;
  }
  resolve(): never {
    throw new Error("not here");
  }
  readBlob(blob: BlobRef & { digest: string }, limit: number): Promise<Buffer> {
    return readWholeBlob(this, blob, IMAGE, limit);
  }
  async *openBlob(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for (let at = 0; at < this.bytes.length; at += this.chunk) {
        this.pulled++;
        const part = this.bytes.subarray(at, at + this.chunk);
        this.bytesRead += part.length;
        yield part;
      }
    } finally {
      this.closed = true;
    }
  }
  async close(): Promise<void> {}
}

function ref(stored: Buffer, compression: BlobCompression, known = true): BlobRef {
  return { digest: known ? sha256(stored) : undefined, size: known ? stored.length : undefined, mediaType: undefined, compression, location: "blobs/sha256/abc" };
}

async function contentOf(stored: Buffer, blob: BlobRef): Promise<{ bytes: Buffer; digest: string; size: number }> {
  const content = layerContent(new MemorySource(stored), blob, IMAGE, "layer 2");
  const parts: Buffer[] = [];
  for await (const chunk of content.chunks) parts.push(chunk);
  return { bytes: Buffer.concat(parts), ...content.result() };
}

const plain = randomBytes(300_000);

test("gzip, uncompressed and sniffed layers: the content and its digest", async () => {
  const gzip = zlib.gzipSync(plain);
  for (const [stored, compression] of [[gzip, "gzip"], [gzip, "sniff"], [plain, "none"], [plain, "sniff"]] as const) {
    const got = await contentOf(stored, ref(stored, compression));
    assert.ok(got.bytes.equals(plain), compression);
    assert.equal(got.digest, sha256(plain));
    assert.equal(got.size, plain.length);
  }
  // Digest and size unknown (a docker-archive member not named by its digest): nothing to check, content still read.
  assert.equal((await contentOf(gzip, ref(gzip, "sniff", false))).digest, sha256(plain));
});

test("zstd: decompressed where node:zlib has it, else the one line naming the Node needed", async () => {
  if (!HAS_ZSTD) {
    const stored = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    for (const compression of ["zstd", "sniff"] as const) {
      const message = await oneLineRejection(contentOf(stored, ref(stored, compression)), ImageSourceError);
      assert.equal(message, `Cannot read image "${IMAGE}": layer 2 is zstd-compressed: reading it needs Node ≥ 22.15 (this is ${process.version})`);
    }
  } else {
    const zstd = (zlib as unknown as { zstdCompressSync(data: Buffer): Buffer }).zstdCompressSync(plain);
    for (const compression of ["zstd", "sniff"] as const) {
      const got = await contentOf(zstd, ref(zstd, compression));
      assert.equal(got.digest, sha256(plain));
    }
    const corrupt = Buffer.from(zstd);
    corrupt[4] = 0xff; // the frame header's reserved bit
    const message = await oneLineRejection(contentOf(corrupt, ref(corrupt, "zstd")), ImageSourceError);
    assert.match(message, /: layer 2: it is not valid zstd data \(.+\)$/);
    const cut = zstd.subarray(0, 5000);
    const read = await contentOf(cut, ref(cut, "sniff", false)).then(
      (content) => content,
      (error: unknown) => error as Error,
    );
    if (read instanceof Error) assert.match(read.message, /: layer 2: its zstd data ends early \(unexpected end of file\)$/);
    // Node 22's zstd stream ends a cut frame without an error: what it gave is shorter and not the layer's digest, which the diff_id check (or the blob's digest, when known) then refuses.
    else assert.notEqual(read.digest, sha256(plain), "a cut zstd frame does not pass for the layer");
  }
});

test("corrupt and truncated gzip whose digest is right: the layer and what is wrong", async () => {
  const gzip = zlib.gzipSync(plain);
  const corrupt = Buffer.from(gzip);
  corrupt.fill(0, 100, 400);
  assert.match(await oneLineRejection(contentOf(corrupt, ref(corrupt, "gzip")), ImageSourceError), /^Cannot read image "oci:\/tmp\/x:1": layer 2: it is not valid gzip data \(.+\)$/);
  const cut = gzip.subarray(0, 5000);
  assert.match(await oneLineRejection(contentOf(cut, ref(cut, "sniff", false)), ImageSourceError), /: layer 2: its gzip data ends early \(unexpected end of file\)$/);
});

test("the stored blob is checked: digest, size, truncation; a mismatch wins over the corrupt data it causes", async () => {
  const gzip = zlib.gzipSync(plain);
  const changed = Buffer.from(gzip);
  changed[changed.length - 1]! ^= 1;
  const claimed = ref(gzip, "gzip");
  assert.equal(
    await oneLineRejection(contentOf(changed, claimed), BlobMismatchError),
    `Cannot trust image "${IMAGE}": layer 2 has digest ${sha256(changed)}, not the ${claimed.digest!} its manifest claims`,
  );
  const middle = Buffer.from(gzip);
  middle.fill(7, 1000, 1100);
  assert.match(await oneLineRejection(contentOf(middle, claimed), BlobMismatchError), /layer 2 has digest/);
  assert.equal(await oneLineRejection(contentOf(gzip.subarray(0, 1000), claimed), ImageSourceError), `Cannot read image "${IMAGE}": layer 2 is truncated: 1000 of its ${gzip.length} bytes`);
  const longer = Buffer.concat([gzip, Buffer.from("trailing")]);
  assert.equal(await oneLineRejection(contentOf(longer, claimed), BlobMismatchError), `Cannot trust image "${IMAGE}": layer 2 has more than the ${gzip.length} bytes its manifest gives`);
  // Bytes after the gzip data, which gunzip ignores, are still checked.
  assert.match(await oneLineRejection(contentOf(longer, { ...claimed, size: undefined }), BlobMismatchError), /layer 2 has digest/);
});

test("pulled: the transport is read as the consumer asks, and closed when it stops early", async () => {
  for (const compression of ["none", "gzip"] as const) {
    const stored = compression === "gzip" ? zlib.gzipSync(plain, { level: 0 }) : plain;
    const source = new MemorySource(stored, 1024);
    const content = layerContent(source, ref(stored, compression), IMAGE, "layer 1");
    const iterator = content.chunks[Symbol.asyncIterator]();
    await iterator.next();
    const total = Math.ceil(stored.length / 1024);
    assert.ok(source.pulled < total / 2, `${compression}: ${source.pulled} of ${total} chunks pulled for the first one out`);
    await iterator.return?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(source.closed, `${compression}: the transport's stream is closed`);
    assert.throws(() => content.result(), /not read to the end/);
  }
});

test("checkedBlob and readWholeBlob: whole small blobs checked, a limit before buffering", async () => {
  const bytes = Buffer.from('{"a":1}');
  const source = new MemorySource(bytes, 3);
  const config = { ...ref(bytes, "none"), digest: sha256(bytes) };
  assert.ok((await source.readBlob(config, 100)).equals(bytes));
  assert.equal(await oneLineRejection(source.readBlob(config, 4), ImageSourceError), `Cannot read image "${IMAGE}": blobs/sha256/abc is larger than the 4 bytes read whole`);
  const parts: Buffer[] = [];
  for await (const chunk of checkedBlob(source, config, IMAGE)) parts.push(chunk);
  assert.ok(Buffer.concat(parts).equals(bytes));
});
