import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { InThreadSha256, RingSha256, type ChunkSha256 } from "../src/hash/sha256.js";
import { SLOT_BYTES, SLOTS } from "../src/hash/protocol.js";
import { Prng } from "./support/prng.js";

/** Fills lent buffers with pseudo-random lengths and bytes; returns what a plain sha256 of them gives. */
function feed(hasher: ChunkSha256, prng: Prng, chunks: number): string {
  const expected = createHash("sha256");
  for (let i = 0; i < chunks; i++) {
    const buffer = hasher.nextBuffer();
    const length = prng.int(4) === 0 ? SLOT_BYTES : prng.int(SLOT_BYTES + 1);
    for (let k = 0; k < length; k += 4096) buffer[k] = prng.int(256);
    const chunk = buffer.subarray(0, length);
    expected.update(chunk);
    hasher.update(chunk);
  }
  return expected.digest("hex");
}

for (const [label, make] of [
  ["RingSha256 (worker, shared slots)", () => new RingSha256()],
  ["InThreadSha256", () => new InThreadSha256()],
] as const) {
  test(`${label}: digests equal createHash's, over more chunks than slots, and restart after each digest`, () => {
    const hasher = make();
    const prng = new Prng(7);
    for (const chunks of [0, 1, SLOTS, 3 * SLOTS + 1]) {
      const expected = feed(hasher, prng, chunks);
      assert.equal(hasher.digest(), expected, `${chunks} chunks`);
    }
  });
}

test("RingSha256 refuses a chunk that is not the buffer it lent (it would hash the wrong bytes)", () => {
  const hasher = new RingSha256();
  hasher.nextBuffer();
  assert.throws(() => hasher.update(Buffer.alloc(10)), /not the buffer last lent/);
});
