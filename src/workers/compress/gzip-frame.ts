/**
 * The gzip member around the concatenated deflate blocks (RFC 1952): a
 * 10-byte header with no name and no mtime, so the bytes depend on the
 * input alone; the final empty block; the trailer (CRC-32, then the size
 * mod 2^32, little-endian).  The whole input's CRC-32 is combined from the
 * blocks' CRCs, which the workers compute alongside the deflate.
 */

/**
 * As zlib writes it (deflate.c): XFL 2 at level 9, 4 below level 2 (the
 * fastest), else 0; OS 3 (Unix), what Node's gzip and the gzip CLI write
 * here (pgzip writes 255, "unknown").
 */
export function gzipHeader(level: number): Buffer {
  const xfl = level === 9 ? 2 : level < 2 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

/**
 * A final fixed-Huffman block holding only its end code: BFINAL 1, BTYPE
 * 01, seven zero bits, padded (what zlib emits for Z_FINISH with no input).
 * Every block ends with a sync flush, so this closes the stream without
 * holding back the last block until the input ends.
 */
export const END_BLOCK: Buffer = Buffer.from([0x03, 0x00]);

export function gzipTrailer(crc32: number, size: number): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32 >>> 0, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return trailer;
}

/** The CRC-32 polynomial, bit-reversed (the form the CRC's register uses). */
const POLY = 0xedb88320;

/**
 * a × b modulo the polynomial, in the CRC's bit-reversed representation
 * (bit 31 is x^0).  Shift-and-add over a's 32 coefficients.
 */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(8n) mod P: the operator that moves a CRC past n zero bytes, by squaring. */
function shiftOperator(bytes: number): number {
  let result = 0x80000000; // x^0
  let square = 0x40000000; // x^1, squared up to x^(2^k)
  for (let bits = bytes * 8; bits > 0; bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) result = multiplyModP(result, square);
    square = multiplyModP(square, square);
  }
  return result;
}

const operators = new Map<number, number>();

/**
 * The CRC-32 of A then B from crc(A), crc(B) and B's length: crc(A) moved
 * past |B| bytes, then xor crc(B) (the CRC is linear over GF(2)).  The
 * operator is cached per length: all blocks but the last share one.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  let operator = operators.get(lengthB);
  if (operator === undefined) {
    operator = shiftOperator(lengthB);
    if (operators.size < 64) operators.set(lengthB, operator);
  }
  return (multiplyModP(operator, crcA >>> 0) ^ crcB) >>> 0;
}
