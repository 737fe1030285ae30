/**
 * A layer's walk kept for a second use (a digest cache hit is streamed from
 * the walk that checked it): names and paths as found, and of each lstat only
 * what a member needs.  Kept as text in one growing buffer and numbers in a
 * typed array, off the JavaScript heap: the same walk kept as objects made
 * the peak RSS of a warm stream of 66,000 entries grow by about 150 MB.
 */
import type { WalkedEntry } from "./walk.ts";

/**
 * Per entry: mode, size, rdev, then the text's offset, the name's length, and
 * the path: the index of a prefix it is the name after (the usual case: the
 * root directory, or nothing), else its length in the text (negative: raw bytes).
 */
const COLUMNS = 7;
const LATIN1 = /^[\x00-\xff]*$/;

/** A WalkedList as another thread sends it: its buffers (transferred, not copied) and prefixes. */
export interface WalkedListParts {
  readonly numbers: Float64Array;
  readonly text: Uint8Array;
  readonly prefixes: readonly string[];
  readonly length: number;
}

export class WalkedList implements Iterable<WalkedEntry> {
  private numbers: Float64Array = new Float64Array(1024 * COLUMNS);
  private text: Buffer = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private readonly prefixes: string[] = [];
  private readonly prefixIndex = new Map<string, number>();
  length = 0;

  /** Its parts, trimmed to what is used (ArrayBuffers of their own, to transfer). */
  parts(): WalkedListParts {
    return {
      numbers: this.numbers.slice(0, this.length * COLUMNS),
      text: new Uint8Array(this.text.subarray(0, this.used)),
      prefixes: this.prefixes,
      length: this.length,
    };
  }

  /** The list another thread walked (parts()). */
  static fromParts(parts: WalkedListParts): WalkedList {
    const list = new WalkedList();
    list.numbers = parts.numbers;
    list.text = Buffer.from(parts.text.buffer, parts.text.byteOffset, parts.text.byteLength);
    list.used = parts.text.byteLength;
    for (const prefix of parts.prefixes) list.prefixIndex.set(prefix, list.prefixes.push(prefix) - 1);
    list.length = parts.length;
    return list;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.text.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.text.length * 2, this.used + bytes));
    this.text.copy(grown, 0, 0, this.used);
    this.text = grown;
  }

  /** A string in Latin-1 when every character fits (the usual case), else UTF-16 (lone surrogates kept); lengths in bytes, odd for UTF-16. */
  private writeString(value: string): number {
    const wide = !LATIN1.test(value);
    this.reserve(value.length * 2);
    const bytes = this.text.write(value, this.used, wide ? "utf16le" : "latin1");
    this.used += bytes;
    return wide ? bytes * 2 + 1 : bytes * 2;
  }

  private readString(at: number, field: number): string {
    const wide = field % 2 === 1;
    const bytes = wide ? (field - 1) / 2 : field / 2;
    return this.text.toString(wide ? "utf16le" : "latin1", at, at + bytes);
  }

  push(entry: WalkedEntry): void {
    const at = this.length * COLUMNS;
    if (at + COLUMNS > this.numbers.length) {
      const grown = new Float64Array(Math.max(1024 * COLUMNS, this.numbers.length * 2));
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const { numbers } = this;
    numbers[at] = entry.stat.mode;
    numbers[at + 1] = entry.stat.size;
    numbers[at + 2] = entry.stat.rdev;
    numbers[at + 3] = this.used;
    numbers[at + 4] = this.writeString(entry.name);
    numbers[at + 6] = -1;
    const { fsPath, name } = entry;
    if (typeof fsPath === "string" && fsPath.endsWith(name)) {
      const prefix = fsPath.slice(0, fsPath.length - name.length);
      let index = this.prefixIndex.get(prefix);
      if (index === undefined) {
        index = this.prefixes.push(prefix) - 1;
        this.prefixIndex.set(prefix, index);
      }
      numbers[at + 6] = index;
    } else if (typeof entry.fsPath === "string") numbers[at + 5] = this.writeString(entry.fsPath);
    else {
      this.reserve(entry.fsPath.length);
      this.used += entry.fsPath.copy(this.text, this.used);
      numbers[at + 5] = -entry.fsPath.length;
    }
    this.length++;
  }

  /** The entries again, in walk order; ctime and inode are not kept (0): the check that needed them is done. */
  *[Symbol.iterator](): Iterator<WalkedEntry> {
    const { numbers } = this;
    for (let index = 0; index < this.length; index++) {
      const at = index * COLUMNS;
      let offset = numbers[at + 3]!;
      const nameField = numbers[at + 4]!;
      const name = this.readString(offset, nameField);
      offset += nameField % 2 === 1 ? (nameField - 1) / 2 : nameField / 2;
      const prefix = numbers[at + 6]!;
      const pathField = numbers[at + 5]!;
      const fsPath = prefix >= 0 ? this.prefixes[prefix]! + name : pathField < 0 ? Buffer.from(this.text.subarray(offset, offset - pathField)) : this.readString(offset, pathField);
      yield { name, fsPath, stat: { mode: numbers[at]!, size: numbers[at + 1]!, rdev: numbers[at + 2]!, ctimeMs: 0, ino: 0 } };
    }
  }
}
