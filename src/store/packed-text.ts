/**
 * A growing byte buffer that keeps strings off the JavaScript heap, each in
 * Latin-1 when every character fits (a store's names nearly always do), else
 * in UTF-16 (lone surrogates kept, as Python's surrogateescape names hold
 * them).  A string's field says which and how long: its byte count times two,
 * plus one for UTF-16.  EntryLog (passes/) and WalkedList keep names this way.
 */
const LATIN1 = /^[\x00-\xff]*$/;

export class PackedText {
  /** The buffer (grown by reserve(): read it again after one) and the bytes in use. */
  bytes: Buffer;
  used: number;

  constructor(bytes: Buffer = Buffer.allocUnsafe(64 * 1024), used = 0) {
    this.bytes = bytes;
    this.used = used;
  }

  /** Room for `count` more bytes. */
  reserve(count: number): void {
    if (this.used + count <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + count));
    this.bytes.copy(grown, 0, 0, this.used);
    this.bytes = grown;
  }

  /** The field `value` will have. */
  static field(value: string): number {
    return LATIN1.test(value) ? value.length * 2 : value.length * 4 + 1;
  }

  /** Appends `value` (its field given when the caller already has it); returns its field. */
  write(value: string, field: number = PackedText.field(value)): number {
    this.reserve(value.length * 2);
    this.used += this.bytes.write(value, this.used, field % 2 === 1 ? "utf16le" : "latin1");
    return field;
  }

  /** The string written at `at` with `field`. */
  read(at: number, field: number): string {
    return this.bytes.toString(field % 2 === 1 ? "utf16le" : "latin1", at, at + PackedText.length(field));
  }

  /** The bytes a field's string takes. */
  static length(field: number): number {
    return Math.floor(field / 2);
  }
}
