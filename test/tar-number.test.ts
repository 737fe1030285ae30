import { test } from "node:test";
import assert from "node:assert/strict";
import { writeChecksum, writeOctal } from "../src/tar/number.ts";
import { MTIME, SIZE, CHKSUM } from "../src/tar/constants.ts";
import { Prng } from "./support/prng.ts";

/** The definition, byte by byte: what tarfile's calc_chksums computes. */
function plainChecksum(block: Uint8Array): string {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= CHKSUM.offset && i < CHKSUM.offset + CHKSUM.size ? 0x20 : block[i]!;
  return `${sum.toString(8).padStart(6, "0")}\0 `;
}

test("writeChecksum: the word-wise sum equals the byte-wise definition, aligned or not, up to all-0xff blocks", () => {
  const prng = new Prng(3);
  for (let round = 0; round < 200; round++) {
    const backing = Buffer.alloc(520);
    const offset = round % 5; // 0 and 4 aligned, the rest not
    const block = backing.subarray(offset, offset + 512);
    const fill = round === 0 ? 0xff : -1;
    for (let i = 0; i < 512; i++) block[i] = fill >= 0 ? fill : prng.int(256);
    const expected = plainChecksum(block);
    writeChecksum(block);
    assert.equal(block.subarray(CHKSUM.offset, CHKSUM.offset + CHKSUM.size).toString("latin1"), expected, `round ${round}, offset ${offset}`);
  }
});

test("writeOctal: the integer path writes what the string path writes (zero-padded, NUL-terminated)", () => {
  const prng = new Prng(5);
  const values = [0, 1, 7, 8, 0o7777777, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 8 ** 11 - 1];
  for (let i = 0; i < 500; i++) values.push(Math.floor(prng.next() * 8 ** 11));
  for (const value of values) {
    for (const field of [SIZE, MTIME]) {
      if (value >= 8 ** (field.size - 1)) continue;
      const viaNumber = Buffer.alloc(field.offset + field.size);
      const viaBigint = Buffer.alloc(field.offset + field.size);
      writeOctal(viaNumber, field, value);
      writeOctal(viaBigint, field, BigInt(value));
      assert.equal(viaNumber.toString("hex"), viaBigint.toString("hex"), `${value}`);
      assert.equal(viaNumber.subarray(field.offset).toString("latin1"), `${value.toString(8).padStart(field.size - 1, "0")}\0`);
    }
  }
});
