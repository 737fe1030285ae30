/**
 * zstd layers: one frame per 4 MiB block, each the block compressed alone
 * (content size and checksum in it), concatenated: Node's zstd and `zstd
 * -t` / `-dc` read them back to the input; the bytes do not depend on the
 * chunking nor on the worker count; the size stays close to `zstd -3`.
 * Where node:zlib has no zstd (the machine's Node 20), compressLayer
 * refuses at once with a one-line message naming both versions.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { skipOrFail } from "./support/requirements.ts";
import { spawnSync } from "node:child_process";
import * as zlib from "node:zlib";
import { encodeBlock } from "../src/workers/compress/codec.ts";
import { compressLayer } from "../src/workers/compress/compress-layer.ts";
import { CompressUnsupportedError } from "../src/workers/compress/errors.ts";
import { assertSupported, ZSTD_BLOCK_BYTES } from "../src/workers/compress/format.ts";
import { closeCompressWorkers } from "../src/workers/compress/pool.ts";
import { chunked, compressAll, compressibleBytes, realisticSample } from "./support/compress-input.ts";

after(() => closeCompressWorkers());

const hasZstd = typeof zlib.zstdCompressSync === "function";
const noZstd = !hasZstd && `node:zlib has no zstd in Node ${process.version}`;
const hasZstdCli = spawnSync("zstd", ["--version"]).status === 0;

function zstdCli(args: string[], input: Buffer): Buffer {
  const run = spawnSync("zstd", args, { input, maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr.toString());
  return run.stdout;
}

test("without zstd in node:zlib: one line naming the Node needed and the Node running", () => {
  const message = /^zstd compression needs Node 22\.15 or later \(node:zlib has no zstd in Node v20\.1\.0\)$/;
  assert.throws(() => assertSupported("zstd", {}, "v20.1.0"), (error: Error) => error instanceof CompressUnsupportedError && message.test(error.message));
  assert.doesNotThrow(() => assertSupported("gzip", {}, "v20.1.0"));
  if (!hasZstd) {
    assert.throws(() => compressLayer([Buffer.from("x")], { format: "zstd" }), (error: Error) => error instanceof CompressUnsupportedError && error.message.includes(process.version) && !error.message.includes("\n"));
  }
});

test("zstd round trip (Node's zstd, zstd -t / -dc): empty, small, exactly a block, several blocks", async (t) => {
  if (noZstd) return skipOrFail(t, "clients", noZstd);
  for (const size of [0, 1, 100_000, ZSTD_BLOCK_BYTES, ZSTD_BLOCK_BYTES * 2 + 5]) {
    const input = compressibleBytes(size, size + 5);
    const { bytes, result } = await compressAll(chunked(input, [1 << 20]), { format: "zstd", workers: 0 });
    assert.ok(zlib.zstdDecompressSync(bytes).equals(input), `size ${size}`);
    assert.deepEqual([result.size, result.uncompressedSize], [bytes.length, size]);
    if (hasZstdCli) {
      zstdCli(["-t", "-q"], bytes);
      assert.ok(zstdCli(["-dc", "-q"], bytes).equals(input), `zstd -dc, size ${size}`);
    }
  }
});

test("zstd: one frame per block, each the block compressed alone, with content size and checksum", async (t) => {
  if (noZstd) return skipOrFail(t, "clients", noZstd);
  const input = compressibleBytes(ZSTD_BLOCK_BYTES + 1000, 9);
  const { bytes } = await compressAll([input], { format: "zstd", level: 3, workers: 0 });
  const first = encodeBlock("zstd", 3, input.subarray(0, ZSTD_BLOCK_BYTES), undefined);
  const second = encodeBlock("zstd", 3, input.subarray(ZSTD_BLOCK_BYTES), undefined);
  assert.ok(bytes.equals(Buffer.concat([first, second])));
  for (const frame of [first, second]) {
    assert.equal(frame.readUInt32LE(0), 0xfd2fb528);
    const descriptor = frame[4]!;
    assert.ok(descriptor >> 6 !== 0 || (descriptor & 0x20) !== 0, "the frame header holds the content size");
    assert.equal(descriptor & 0x04, 0x04, "the frame ends with a checksum");
  }
});

test("zstd bytes do not depend on the chunking nor on the worker count (0, 1, 2, 4)", async (t) => {
  if (noZstd) return skipOrFail(t, "clients", noZstd);
  const input = compressibleBytes(3 * ZSTD_BLOCK_BYTES + 999, 13);
  const reference = await compressAll([input], { format: "zstd", workers: 0 });
  for (const [sizes, workers] of [[[1 << 20], 1], [[7, 65536, 3_000_001], 2], [[ZSTD_BLOCK_BYTES], 4]] as const) {
    const { bytes, result } = await compressAll(chunked(input, sizes), { format: "zstd", workers });
    assert.ok(bytes.equals(reference.bytes), `${workers} workers`);
    assert.deepEqual(result, reference.result);
  }
});

test("zstd size against zstd -3 on a realistic sample (within 3%)", async (t) => {
  if (noZstd) return skipOrFail(t, "clients", noZstd);
  if (!hasZstdCli) return skipOrFail(t, "clients", "no zstd command");
  const sample = realisticSample(16 << 20);
  assert.ok(sample.length >= 1 << 20, `a sample of ${sample.length} bytes is too small to compare sizes`);
  const ours = await compressAll([sample], { format: "zstd", level: 3 });
  const theirs = zstdCli(["-3", "-c", "-q"], sample);
  const ratio = ours.bytes.length / theirs.length;
  console.log(`zstd level 3, ${sample.length} bytes: ours ${ours.bytes.length}, zstd -3 ${theirs.length}, ratio ${ratio.toFixed(4)}`);
  assert.ok(ratio < 1.03, `ratio ${ratio}`);
});
