import type { EntryRecord } from "./layer.js";
import { comparePaths } from "./walk.js";
import { displayPath } from "./errors.js";

/** The layer's bytes changed between the hash pass and the stream pass. */
export class LayerChangedError extends Error {
  constructor(
    readonly layer: number,
    message: string,
  ) {
    super(`Layer ${layer} changed between the hash pass and the stream pass: ${message}`);
    this.name = "LayerChangedError";
  }
}

/**
 * The hash pass, member by member, so the stream pass can name what changed.
 * Compact enough for a million members: names are stored as the length
 * shared with the previous name plus the rest (walk order shares long
 * prefixes), sizes and CRCs in typed arrays.
 */
export class EntryLog {
  private sizes = new Float64Array(1024);
  private ctimes = new Float64Array(1024);
  private inodes = new Float64Array(1024);
  private crcs = new Uint32Array(1024);
  private names = Buffer.allocUnsafe(64 * 1024);
  private namesUsed = 0;
  private lastName = "";
  length = 0;
  /** The stream pass's position: next record to compare and its name. */
  private cursor = 0;
  private cursorOffset = 0;
  private cursorName = "";

  push(record: EntryRecord): void {
    if (this.length === this.sizes.length) {
      this.sizes = grow(this.sizes, new Float64Array(this.length * 2));
      this.ctimes = grow(this.ctimes, new Float64Array(this.length * 2));
      this.inodes = grow(this.inodes, new Float64Array(this.length * 2));
      this.crcs = grow(this.crcs, new Uint32Array(this.length * 2));
    }
    this.sizes[this.length] = record.size;
    this.crcs[this.length] = record.crc;
    this.ctimes[this.length] = record.ctimeMs;
    this.inodes[this.length] = record.inode;
    let shared = 0;
    const limit = Math.min(record.name.length, this.lastName.length);
    while (shared < limit && record.name.charCodeAt(shared) === this.lastName.charCodeAt(shared)) shared++;
    const rest = record.name.slice(shared);
    const needed = 8 + rest.length * 3;
    if (this.namesUsed + needed > this.names.length) this.names = grow(this.names, Buffer.allocUnsafe(Math.max(this.names.length * 2, this.namesUsed + needed)));
    this.names.writeUInt32LE(shared, this.namesUsed);
    // UTF-16 code units as they are: lone surrogates survive the round trip.
    const restBytes = this.names.write(rest, this.namesUsed + 8, "utf16le");
    this.names.writeUInt32LE(restBytes, this.namesUsed + 4);
    this.namesUsed += 8 + restBytes;
    this.lastName = record.name;
    this.length++;
  }

  /** The name of the next record the stream pass has not matched yet. */
  private expectedName(): string {
    const shared = this.names.readUInt32LE(this.cursorOffset);
    const restBytes = this.names.readUInt32LE(this.cursorOffset + 4);
    return this.cursorName.slice(0, shared) + this.names.toString("utf16le", this.cursorOffset + 8, this.cursorOffset + 8 + restBytes);
  }

  private advance(expected: string): void {
    this.cursorName = expected;
    this.cursorOffset += 8 + this.names.readUInt32LE(this.cursorOffset + 4);
    this.cursor++;
  }

  /** Throws when the stream pass's next member differs from the hash pass's. */
  check(layer: number, record: EntryRecord): void {
    if (this.cursor >= this.length) throw new LayerChangedError(layer, `${displayPath(record.name)} appeared after the hash pass`);
    const expected = this.expectedName();
    if (expected !== record.name) {
      const removed = comparePaths(record.name, expected) > 0;
      throw new LayerChangedError(layer, removed ? `${displayPath(expected)} was removed after the hash pass` : `${displayPath(record.name)} appeared after the hash pass`);
    }
    const i = this.cursor;
    if (this.sizes[i] !== record.size) {
      throw new LayerChangedError(layer, `${displayPath(record.name)} changed size from ${this.sizes[i]} to ${record.size} bytes`);
    }
    if (this.crcs[i] !== record.crc >>> 0 || this.ctimes[i] !== record.ctimeMs || this.inodes[i] !== record.inode) {
      throw new LayerChangedError(layer, `${displayPath(record.name)} changed (content or metadata)`);
    }
    this.advance(expected);
  }

  /** Throws when members the hash pass saw never came in the stream pass. */
  checkComplete(layer: number): void {
    if (this.cursor < this.length) throw new LayerChangedError(layer, `${displayPath(this.expectedName())} was removed after the hash pass`);
  }
}

function grow<T extends Float64Array | Uint32Array | Buffer>(from: T, to: T): T {
  to.set(from);
  return to;
}
