/**
 * gzip layers: they decompress to their input (Node's gunzip, `gzip -t`,
 * `gzip -dc`), whatever the sizes (empty, within a block, exactly a block,
 * many); the bytes depend neither on the chunking of the input nor on the
 * number of worker threads; the header carries no name and no mtime; the
 * CRC-32 combined from the blocks' is the whole input's; and the size stays
 * within a few percent of `gzip -6`.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { skipOrFail } from "./support/requirements.ts";
import { spawnSync } from "node:child_process";
import { constants, crc32, deflateRawSync, gunzipSync } from "node:zlib";
import { randomBytes } from "node:crypto";
import { crc32Combine } from "../src/workers/compress/gzip-frame.ts";
import { GZIP_BLOCK_BYTES, GZIP_DICTIONARY_BYTES } from "../src/workers/compress/format.ts";
import { closeCompressWorkers } from "../src/workers/compress/pool.ts";
import { chunked, compressAll, compressibleBytes, realisticSample, slowly } from "./support/compress-input.ts";

after(() => closeCompressWorkers());

const hasGzip = spawnSync("gzip", ["--version"]).status === 0;

function gzipCli(args: string[], input: Buffer): Buffer {
  const run = spawnSync("gzip", args, { input, maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr.toString());
  return run.stdout;
}

const SIZES = [0, 1, 1000, GZIP_BLOCK_BYTES - 1, GZIP_BLOCK_BYTES, GZIP_BLOCK_BYTES + 1, 5 * GZIP_BLOCK_BYTES + 12345];

test("gzip round trip at every size around the block, with Node's gunzip and gzip -t / -dc", async () => {
  for (const size of SIZES) {
    const input = compressibleBytes(size, size + 1);
    const { bytes, result } = await compressAll(chunked(input, [65536]), { format: "gzip", workers: 0 });
    assert.ok(gunzipSync(bytes).equals(input), `size ${size}`);
    assert.equal(result.size, bytes.length);
    assert.equal(result.uncompressedSize, size);
    if (hasGzip) {
      gzipCli(["-t"], bytes);
      assert.ok(gzipCli(["-dc"], bytes).equals(input), `gzip -dc, size ${size}`);
    }
  }
});

test("gzip header: no FNAME, mtime 0, XFL as zlib writes it, OS 3; the trailer's CRC-32 and size", async () => {
  const input = compressibleBytes(300_000, 7);
  for (const [level, xfl] of [[1, 4], [6, 0], [9, 2]] as const) {
    const { bytes } = await compressAll([input], { format: "gzip", level, workers: 0 });
    assert.deepEqual([...bytes.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3], `level ${level}`);
    assert.equal(bytes.readUInt32LE(bytes.length - 8), crc32(input));
    assert.equal(bytes.readUInt32LE(bytes.length - 4), input.length);
  }
});

test("gzip bytes do not depend on the chunking of the input nor on the worker count (0, 1, 2, 4)", async () => {
  const input = compressibleBytes(9 * GZIP_BLOCK_BYTES + 777, 11);
  const reference = await compressAll([input], { format: "gzip", workers: 0 });
  const variants = [
    { chunks: [...chunked(input.subarray(0, 5000), [1]), input.subarray(5000)], workers: 1 },
    { chunks: chunked(input, [7, 65536, 1 << 20, 3]), workers: 2 },
    { chunks: slowly(chunked(input, [GZIP_BLOCK_BYTES])), workers: 4 },
    { chunks: chunked(input, [100_003]), workers: 0 },
  ];
  for (const { chunks, workers } of variants) {
    const { bytes, result } = await compressAll(chunks, { format: "gzip", workers });
    assert.ok(bytes.equals(reference.bytes), `${workers} workers`);
    assert.deepEqual(result, reference.result);
  }
});

test("each block is deflated alone against the 32 KiB before it, as zlib does in one piece whatever the room it is given", async () => {
  // Compressible, then incompressible (stored: more output than input), then compressible again, the last block short.
  const input = Buffer.concat([compressibleBytes(2 * GZIP_BLOCK_BYTES, 5), randomBytes(GZIP_BLOCK_BYTES + 999), compressibleBytes(GZIP_BLOCK_BYTES / 2, 6)]);
  const { bytes } = await compressAll(chunked(input, [65536]), { format: "gzip", level: 5, workers: 2 });
  const blocks: Buffer[] = [];
  for (let start = 0; start < input.length; start += GZIP_BLOCK_BYTES) {
    const block = input.subarray(start, start + GZIP_BLOCK_BYTES);
    const dictionary = start === 0 ? {} : { dictionary: input.subarray(start - GZIP_DICTIONARY_BYTES, start) };
    // Room for the whole output at once: one call of deflate, no pieces.
    blocks.push(deflateRawSync(block, { level: 5, windowBits: 15, memLevel: 8, finishFlush: constants.Z_SYNC_FLUSH, chunkSize: 2 * GZIP_BLOCK_BYTES, ...dictionary }));
  }
  const body = bytes.subarray(10, bytes.length - 8 - 2);
  assert.ok(body.equals(Buffer.concat(blocks)), "the blocks between the gzip header and the final empty block");
  assert.ok(gunzipSync(bytes).equals(input));
});

test("crc32Combine of the blocks' CRC-32s is the CRC-32 of the whole", () => {
  const input = compressibleBytes(1_000_000, 3);
  for (const cut of [0, 1, 4096, 131072, 999_999, 1_000_000]) {
    assert.equal(crc32Combine(crc32(input.subarray(0, cut)), crc32(input.subarray(cut)), input.length - cut), crc32(input), `cut at ${cut}`);
  }
});

test("gzip size against gzip -6 on a realistic sample (within 3%)", async (t) => {
  if (!hasGzip) return skipOrFail(t, "clients", "no gzip command");
  const sample = realisticSample(8 << 20);
  assert.ok(sample.length >= 1 << 20, `a sample of ${sample.length} bytes is too small to compare sizes`);
  const ours = await compressAll([sample], { format: "gzip", level: 6 });
  const theirs = gzipCli(["-6", "-c"], sample);
  const ratio = ours.bytes.length / theirs.length;
  console.log(`gzip level 6, ${sample.length} bytes: ours ${ours.bytes.length}, gzip -6 ${theirs.length}, ratio ${ratio.toFixed(4)}`);
  assert.ok(ratio < 1.03, `ratio ${ratio}`);
});
