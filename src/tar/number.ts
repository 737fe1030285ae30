import { CHKSUM, type Field } from "./constants.js";

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
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value < octalLimit(field)) {
    // The common case without building a string: digits from the right.
    let rest = value;
    for (let i = field.size - 2; i >= 0; i--) {
      target[field.offset + i] = 0x30 + (rest % 8);
      rest = Math.floor(rest / 8);
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
  block.fill(0x20, CHKSUM.offset, CHKSUM.offset + CHKSUM.size);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i]!;
  const digits = sum.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) block[CHKSUM.offset + i] = digits.charCodeAt(i);
  block[CHKSUM.offset + 6] = 0;
}
