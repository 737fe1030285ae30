import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { InThreadHasher, type LayerHasher } from "../src/workers/hash/hasher.ts";
import { RingHasher } from "../src/workers/hash/ring-hasher.ts";
import { SLOT_BYTES, SLOTS } from "../src/workers/hash/protocol.ts";
import { runSync } from "../src/workers/pause.ts";
import { Prng } from "./support/prng.ts";

/** Fills lent buffers with pseudo-random lengths and bytes; returns what plain sha256 and crc32 of them give. */
function feed(hasher: LayerHasher, prng: Prng, chunks: number): { sha256: string; crc32: number } {
  const expected = createHash("sha256");
  let crc = 0;
  for (let i = 0; i < chunks; i++) {
    const buffer = hasher.nextBuffer();
    const length = prng.int(4) === 0 ? SLOT_BYTES : prng.int(SLOT_BYTES + 1);
    for (let k = 0; k < length; k += 4096) buffer[k] = prng.int(256);
    const chunk = buffer.subarray(0, length);
    expected.update(chunk);
    crc = crc32(chunk, crc);
    hasher.update(chunk);
  }
  return { sha256: expected.digest("hex"), crc32: crc >>> 0 };
}

for (const [label, make] of [
  ["RingHasher (worker, shared slots)", () => new RingHasher()],
  ["InThreadHasher", () => new InThreadHasher()],
] as const) {
  test(`${label}: sha256 and CRC-32 equal node's, over more chunks than slots, starting over at each begin()`, () => {
    const hasher = make();
    const prng = new Prng(7);
    for (const chunks of [0, 1, SLOTS, 3 * SLOTS + 1]) {
      for (const digests of ["sha256+crc32", "crc32", "sha256"] as const) {
        runSync(hasher.begin(digests));
        const expected = feed(hasher, prng, chunks);
        const got = runSync(hasher.finish());
        assert.equal(got.crc32, digests === "sha256" ? undefined : expected.crc32, `crc32, ${chunks} chunks, ${digests}`);
        assert.equal(got.sha256, digests === "crc32" ? undefined : expected.sha256, `sha256, ${chunks} chunks, ${digests}`);
      }
    }
  });
}

for (const [label, make] of [
  ["RingHasher", () => new RingHasher()],
  ["InThreadHasher", () => new InThreadHasher()],
] as const) {
  test(`${label}: begin() drops a stream abandoned without finish() (a pass that threw midway)`, () => {
    const hasher = make();
    const prng = new Prng(11);
    runSync(hasher.begin("sha256+crc32"));
    feed(hasher, prng, 3);
    runSync(hasher.begin("sha256+crc32"));
    const expected = feed(hasher, prng, 2);
    assert.deepEqual(runSync(hasher.finish()), expected);
  });
}

test("RingHasher refuses a chunk that is not the buffer it lent (it would digest the wrong bytes)", () => {
  const hasher = new RingHasher();
  runSync(hasher.begin("sha256+crc32"));
  hasher.nextBuffer();
  assert.throws(() => hasher.update(Buffer.alloc(10)), /not the buffer last lent/);
});
