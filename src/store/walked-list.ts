/**
 * A layer's walk kept for a second use (a digest cache hit is streamed from
 * the walk that checked it): names and paths as found, and of each lstat only
 * what a member needs.  Kept as text in one growing buffer and numbers in a
 * typed array (PackedText), off the JavaScript heap: the same walk kept as objects made
 * the peak RSS of a warm stream of 66,000 entries grow by about 150 MB.
 */
import type { WalkedEntry } from "./walk.ts";
import { PackedText } from "./packed-text.ts";

/**
 * Per entry: mode, size, rdev, then the text's offset, the name's length, and
 * the path: the index of a prefix it is the name after (the usual case: the
 * root directory, or nothing), else its length in the text (negative: raw bytes).
 */
const COLUMNS = 7;

/** A WalkedList as another thread sends it: its buffers (transferred, not copied) and prefixes. */
export interface WalkedListParts {
  readonly numbers: Float64Array;
  readonly text: Uint8Array;
  readonly prefixes: readonly string[];
  readonly length: number;
}

export class WalkedList implements Iterable<WalkedEntry> {
  private numbers: Float64Array = new Float64Array(1024 * COLUMNS);
  private text = new PackedText();
  private readonly prefixes: string[] = [];
  private readonly prefixIndex = new Map<string, number>();
  length = 0;

  /** Its parts, trimmed to what is used (ArrayBuffers of their own, to transfer). */
  parts(): WalkedListParts {
    return {
      numbers: this.numbers.slice(0, this.length * COLUMNS),
      text: new Uint8Array(this.text.bytes.subarray(0, this.text.used)),
      prefixes: this.prefixes,
      length: this.length,
    };
  }

  /** The list another thread walked (parts()). */
  static fromParts(parts: WalkedListParts): WalkedList {
    const list = new WalkedList();
    list.numbers = parts.numbers;
    list.text = new PackedText(Buffer.from(parts.text.buffer, parts.text.byteOffset, parts.text.byteLength), parts.text.byteLength);
    for (const prefix of parts.prefixes) list.prefixIndex.set(prefix, list.prefixes.push(prefix) - 1);
    list.length = parts.length;
    return list;
  }

  /** Appends the entries of `other` (the walk's next part), copied. */
  append(other: WalkedList): void {
    const start = this.length * COLUMNS;
    const needed = start + other.length * COLUMNS;
    if (needed > this.numbers.length) {
      const grown = new Float64Array(needed);
      grown.set(this.numbers.subarray(0, start));
      this.numbers = grown;
    }
    const textBase = this.text.used;
    this.text.reserve(other.text.used);
    other.text.bytes.copy(this.text.bytes, textBase, 0, other.text.used);
    this.text.used += other.text.used;
    const prefixes = other.prefixes.map((prefix) => {
      let index = this.prefixIndex.get(prefix);
      if (index === undefined) {
        index = this.prefixes.push(prefix) - 1;
        this.prefixIndex.set(prefix, index);
      }
      return index;
    });
    const { numbers } = this;
    numbers.set(other.numbers.subarray(0, other.length * COLUMNS), start);
    for (let at = start; at < needed; at += COLUMNS) {
      numbers[at + 3]! += textBase;
      const prefix = numbers[at + 6]!;
      if (prefix >= 0) numbers[at + 6] = prefixes[prefix]!;
    }
    this.length += other.length;
  }

  push(entry: WalkedEntry): void {
    const at = this.length * COLUMNS;
    if (at + COLUMNS > this.numbers.length) {
      const grown = new Float64Array(Math.max(1024 * COLUMNS, this.numbers.length * 2));
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const { numbers, text } = this;
    numbers[at] = entry.stat.mode;
    numbers[at + 1] = entry.stat.size;
    numbers[at + 2] = entry.stat.rdev;
    numbers[at + 3] = text.used;
    numbers[at + 4] = text.write(entry.name);
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
    } else if (typeof fsPath === "string") numbers[at + 5] = text.write(fsPath);
    else {
      text.reserve(fsPath.length);
      text.used += fsPath.copy(text.bytes, text.used);
      numbers[at + 5] = -fsPath.length;
    }
    this.length++;
  }

  /** The entries again, in walk order; ctime and inode are not kept (0): the check that needed them is done. */
  *[Symbol.iterator](): Iterator<WalkedEntry> {
    const { numbers, text } = this;
    for (let index = 0; index < this.length; index++) {
      const at = index * COLUMNS;
      let offset = numbers[at + 3]!;
      const nameField = numbers[at + 4]!;
      const name = text.read(offset, nameField);
      offset += PackedText.length(nameField);
      const prefix = numbers[at + 6]!;
      const pathField = numbers[at + 5]!;
      const fsPath = prefix >= 0 ? this.prefixes[prefix]! + name : pathField < 0 ? Buffer.from(text.bytes.subarray(offset, offset - pathField)) : text.read(offset, pathField);
      yield { name, fsPath, stat: { mode: numbers[at]!, size: numbers[at + 1]!, rdev: numbers[at + 2]!, ctimeMs: 0, ino: 0 } };
    }
  }
}
