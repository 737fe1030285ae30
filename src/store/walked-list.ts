/**
 * A layer's walk kept for a second use: the digest cache keeps it beside a
 * layer's entry (encode/decode), checks a later run against it (one lstat
 * an entry, no directory listed again) and streams a cached layer from it.
 * Names and paths as found, and of each lstat what a member needs (mode,
 * size, rdev) and what the check compares (ctime, inode).  Kept as text in
 * one growing buffer and numbers in a typed array (PackedText), off the
 * JavaScript heap: the same walk kept as objects made the peak RSS of a warm
 * stream of 66,000 entries grow by about 150 MB.
 */
import { endianness } from "node:os";
import type { WalkedEntry } from "./walk.ts";
import { PackedText } from "./packed-text.ts";

/**
 * Per row: mode, size, rdev, ctime, inode, then the text's offset, the
 * name's field, and the path: the index of a prefix it is the name after
 * (the usual case: the root directory, or nothing), else its field in the
 * text (negative: the length of raw bytes); then the row's kind.
 */
const COLUMNS = 10;
const [MODE, SIZE, RDEV, CTIME, INODE, OFFSET, NAME, PATH, PREFIX, KIND] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
/**
 * A row is an entry of the walk, or a symlinked store path's target: the
 * link's name and path with the stat() of the directory it leads to (all
 * numbers 0 when it leads to none), which the walk lists but does not yield.
 */
const ENTRY = 0;
const LINK_TARGET = 1;

/** The first bytes of an encoded list: what it is, and its layout's version. */
const MAGIC = Buffer.from("stream-layered-image walk 1\n", "latin1");
/** After MAGIC: the entries, the text's bytes and the prefixes' JSON bytes, as 32-bit integers. */
const HEAD_BYTES = MAGIC.length + 12;

export class WalkedList implements Iterable<WalkedEntry> {
  private numbers: Float64Array = new Float64Array(1024 * COLUMNS);
  private text = new PackedText();
  private readonly prefixes: string[] = [];
  private readonly prefixIndex = new Map<string, number>();
  /** Rows: entries and link targets. */
  length = 0;

  /** Appends an entry of the walk. */
  push(entry: WalkedEntry): void {
    this.pushRow(entry, entry.stat, ENTRY);
  }

  /** Appends a symlinked store path's target (see WalkOptions.onStorePathLink): a row checked, never streamed. */
  pushLinkTarget(top: WalkedEntry, directory: WalkedEntry["stat"] | undefined): void {
    this.pushRow(top, directory ?? { mode: 0, size: 0, rdev: 0, ctimeMs: 0, ino: 0 }, LINK_TARGET);
  }

  /** Whether row `index` is a link target rather than an entry. */
  isLinkTarget(index: number): boolean {
    return this.numbers[index * COLUMNS + KIND] === LINK_TARGET;
  }

  private pushRow(entry: WalkedEntry, stat: WalkedEntry["stat"], kind: number): void {
    const at = this.length * COLUMNS;
    if (at + COLUMNS > this.numbers.length) {
      const grown = new Float64Array(Math.max(1024 * COLUMNS, this.numbers.length * 2));
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const { numbers, text } = this;
    numbers[at + KIND] = kind;
    numbers[at + MODE] = stat.mode;
    numbers[at + SIZE] = stat.size;
    numbers[at + RDEV] = stat.rdev;
    numbers[at + CTIME] = stat.ctimeMs;
    numbers[at + INODE] = stat.ino;
    numbers[at + OFFSET] = text.used;
    numbers[at + NAME] = text.write(entry.name);
    numbers[at + PATH] = 0;
    numbers[at + PREFIX] = -1;
    const { fsPath, name } = entry;
    if (typeof fsPath === "string" && fsPath.endsWith(name)) {
      const prefix = fsPath.slice(0, fsPath.length - name.length);
      let index = this.prefixIndex.get(prefix);
      if (index === undefined) {
        index = this.prefixes.push(prefix) - 1;
        this.prefixIndex.set(prefix, index);
      }
      numbers[at + PREFIX] = index;
    } else if (typeof fsPath === "string") numbers[at + PATH] = text.write(fsPath);
    else {
      text.reserve(fsPath.length);
      text.used += fsPath.copy(text.bytes, text.used);
      numbers[at + PATH] = -fsPath.length;
    }
    this.length++;
  }

  /** The entries again, in walk order (link targets left out). */
  *[Symbol.iterator](): Iterator<WalkedEntry> {
    for (let index = 0; index < this.length; index++) if (!this.isLinkTarget(index)) yield this.at(index);
  }

  /** Row `index` (0 ≤ index < length). */
  at(index: number): WalkedEntry {
    const { numbers, text } = this;
    const at = index * COLUMNS;
    let offset = numbers[at + OFFSET]!;
    const nameField = numbers[at + NAME]!;
    const name = text.read(offset, nameField);
    offset += PackedText.length(nameField);
    const prefix = numbers[at + PREFIX]!;
    const pathField = numbers[at + PATH]!;
    const fsPath = prefix >= 0 ? this.prefixes[prefix]! + name : pathField < 0 ? Buffer.from(text.bytes.subarray(offset, offset - pathField)) : text.read(offset, pathField);
    return { name, fsPath, stat: { mode: numbers[at + MODE]!, size: numbers[at + SIZE]!, rdev: numbers[at + RDEV]!, ctimeMs: numbers[at + CTIME]!, ino: numbers[at + INODE]! } };
  }

  /** The list as bytes to keep in a file (decode() reads them back). */
  encode(): Buffer {
    const numbers = Buffer.from(this.numbers.buffer, this.numbers.byteOffset, this.length * COLUMNS * 8);
    const prefixes = Buffer.from(JSON.stringify(this.prefixes), "utf8");
    const head = Buffer.alloc(HEAD_BYTES);
    MAGIC.copy(head);
    head.writeUInt32LE(this.length, MAGIC.length);
    head.writeUInt32LE(this.text.used, MAGIC.length + 4);
    head.writeUInt32LE(prefixes.length, MAGIC.length + 8);
    return Buffer.concat([head, numbers, this.text.bytes.subarray(0, this.text.used), prefixes]);
  }

  /**
   * The list encode() wrote, or undefined when `bytes` are not one (another
   * layout, cut short, or written on a big-endian machine, whose doubles this
   * one would misread: the numbers are kept in the machine's own order).
   */
  static decode(bytes: Buffer): WalkedList | undefined {
    if (endianness() !== "LE" || bytes.length < HEAD_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const length = bytes.readUInt32LE(MAGIC.length);
    const textBytes = bytes.readUInt32LE(MAGIC.length + 4);
    const prefixBytes = bytes.readUInt32LE(MAGIC.length + 8);
    const numberBytes = length * COLUMNS * 8;
    if (bytes.length !== HEAD_BYTES + numberBytes + textBytes + prefixBytes) return undefined;
    let prefixes: unknown;
    try {
      prefixes = JSON.parse(bytes.toString("utf8", HEAD_BYTES + numberBytes + textBytes));
    } catch {
      return undefined;
    }
    if (!Array.isArray(prefixes) || !prefixes.every((prefix) => typeof prefix === "string")) return undefined;
    const list = new WalkedList();
    // A copy: a Float64Array must start on a multiple of 8 bytes, which the file's offset need not be.
    list.numbers = new Float64Array(length * COLUMNS);
    Buffer.from(list.numbers.buffer).set(bytes.subarray(HEAD_BYTES, HEAD_BYTES + numberBytes));
    list.text = new PackedText(Buffer.from(bytes.subarray(HEAD_BYTES + numberBytes, HEAD_BYTES + numberBytes + textBytes)), textBytes);
    for (const prefix of prefixes as string[]) list.prefixIndex.set(prefix, list.prefixes.push(prefix) - 1);
    list.length = length;
    return list;
  }
}
