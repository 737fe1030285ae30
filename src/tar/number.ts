/**
 * Numbers in header fields: tarfile's octal (`itn`) and whether a value
 * fits, the header checksum, zero filling, each written in place into the
 * block, as fast as every member of every layer needs.
 */
import { BLOCK_SIZE, CHKSUM, type Field } from "./constants.ts";

/** `length` rounded up to whole blocks: a member's data, a PAX payload, with their padding. */
export function paddedSize(length: number): number {
  return Math.ceil(length / BLOCK_SIZE) * BLOCK_SIZE;
}

/** Largest value (exclusive) an octal field of `size` bytes holds: tarfile's `8 ** (digits - 1)`. */
export function octalLimit(field: Field): number {
  // 8**7 and 8**11 are exact doubles; every field is at most 12 bytes.
  return OCTAL_LIMITS[field.size] ?? 8 ** (field.size - 1);
}

/** Per field size, computed once: this runs for every header field. */
const OCTAL_LIMITS = Array.from({ length: 13 }, (_, size) => 8 ** (size - 1));

/** Whether tarfile's `itn` can store `value` in `field` without a PAX record. */
export function fitsOctal(value: number | bigint, field: Field): boolean {
  // Comparing a bigint with a number is exact in JavaScript.
  return value >= 0 && value < octalLimit(field);
}

/**
 * tarfile's `itn` in ustar mode: zero-padded octal of `size - 1` digits and a
 * NUL.  Callers check `fitsOctal` first (tarfile would raise "overflow").
 */
export function writeOctal(target: Uint8Array, field: Field, value: number | bigint): void {
  if (typeof value === "number" && value >= 0 && value <= 0xffffffff && Number.isInteger(value) && value < octalLimit(field)) {
    // The common case without building a string: digits from the right, in 32-bit integer arithmetic.
    let rest = value >>> 0;
    for (let i = field.size - 2; i >= 0; i--) {
      target[field.offset + i] = 0x30 | (rest & 7);
      rest >>>= 3;
    }
    target[field.offset + field.size - 1] = 0;
    return;
  }
  const digits = value.toString(8).padStart(field.size - 1, "0");
  if (digits.length !== field.size - 1) throw new RangeError(`${value} does not fit a ${field.size}-byte octal field`);
  for (let i = 0; i < digits.length; i++) target[field.offset + i] = digits.charCodeAt(i);
  target[field.offset + digits.length] = 0;
}

/**
 * tarfile's `calc_chksums(...)[0]` stored as `"%06o\0"`: the unsigned byte
 * sum with the checksum field counted as eight spaces; the field's eighth
 * byte stays the space `_create_header` put there.
 */
export function writeChecksum(block: Uint8Array): void {
  for (let i = 0; i < CHKSUM.size; i++) block[CHKSUM.offset + i] = 0x20;
  // At most 512 * 255 < 8**6: six octal digits always suffice.
  let rest = byteSum(block);
  for (let i = 5; i >= 0; i--) {
    block[CHKSUM.offset + i] = 0x30 | (rest & 7);
    rest >>>= 3;
  }
  block[CHKSUM.offset + 6] = 0;
}

/**
 * Zeroes `[start, end)`: the typed array's own fill, which V8 inlines;
 * Buffer#fill checks its arguments in JavaScript first, on every call.
 */
export function zeroFill(target: Uint8Array, start: number, end: number): void {
  Uint8Array.prototype.fill.call(target, 0, start, end);
}

/** Sum of a header block's 512 bytes, four at a time when the block is 4-byte aligned (pool buffers are). */
function byteSum(block: Uint8Array): number {
  if (block.byteOffset % 4 !== 0) {
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += block[i]!;
    return sum;
  }
  const words = new Uint32Array(block.buffer, block.byteOffset, 128);
  // Two 16-bit lanes per half: at most 128 * 2 * 255 per lane, no carry between lanes.
  let even = 0;
  let odd = 0;
  for (let i = 0; i < 128; i++) {
    const word = words[i]!;
    even += word & 0x00ff00ff;
    odd += (word >>> 8) & 0x00ff00ff;
  }
  return (even & 0xffff) + (even >>> 16) + (odd & 0xffff) + (odd >>> 16);
}
