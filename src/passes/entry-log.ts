/**
 * The stream pass's check against the hash pass: EntryLog keeps what the
 * hash pass saw of each member, compactly, and the stream pass compares
 * member by member; LayerChangedError names what changed between the two.
 */
import type { EntryRecord } from "../layer/layer.ts";
import { comparePaths } from "../store/walk.ts";
import { displayPath } from "../store/errors.ts";
import { PackedText } from "../store/packed-text.ts";

/** The layer's bytes changed between the hash pass and the stream pass. */
export class LayerChangedError extends Error {
  readonly layer: number;
  constructor(layer: number, message: string) {
    super(`Layer ${layer} changed between the hash pass and the stream pass: ${message}`);
    this.layer = layer;
    this.name = "LayerChangedError";
  }
}

/** Room for the largest record head: two varints of a name, one of a size, the fingerprint. */
const MAX_RECORD_HEAD = 3 * 8 + 4;

/**
 * The hash pass, member by member, so the stream pass can name what changed.
 * One byte stream, read in order by the stream pass, about 13 bytes a member
 * (the memory that grows with the number of members, so kept small):
 *
 *   varint  characters shared with the previous name (walk order shares long prefixes)
 *   varint  the rest's PackedText field: its byte count * 2, plus 1 when it is stored as UTF-16
 *   bytes   the rest: Latin-1 when every character fits, else UTF-16 (lone surrogates kept)
 *   varint  content size
 *   uint32  fingerprint of the header's CRC, ctime and inode
 *
 * The size is kept whole to say "changed size from A to B"; a change of
 * anything else only has to be noticed, and the fingerprint (with the
 * layer's CRC-32 over every header and content byte behind it) does that.
 */
export class EntryLog {
  /** The records: varints and fingerprints written into its buffer, the names' rests as its strings. */
  private readonly log = new PackedText();
  private lastName = "";
  length = 0;
  /** The stream pass's position: next record to compare, its offset and the name before it. */
  private cursor = 0;
  private cursorOffset = 0;
  private cursorName = "";

  push(record: EntryRecord): void {
    const { name } = record;
    let shared = 0;
    const limit = Math.min(name.length, this.lastName.length);
    while (shared < limit && name.charCodeAt(shared) === this.lastName.charCodeAt(shared)) shared++;
    const rest = name.slice(shared);
    const { log } = this;
    log.reserve(MAX_RECORD_HEAD + rest.length * 2);
    this.writeVarint(shared);
    const field = PackedText.field(rest);
    this.writeVarint(field);
    log.write(rest, field);
    this.writeVarint(record.size);
    log.bytes.writeUInt32LE(fingerprint(record), log.used);
    log.used += 4;
    this.lastName = name;
    this.length++;
  }

  /** LEB128 for integers up to 2^53 (sizes can pass 2^32, so no bit operators above 7 bits). */
  private writeVarint(value: number): void {
    const { log } = this;
    let rest = value;
    while (rest >= 0x80) {
      log.bytes[log.used++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    log.bytes[log.used++] = rest;
  }

  /** The record at the cursor, without moving it. */
  private expected(): { name: string; size: number; fingerprint: number; next: number } {
    let at = this.cursorOffset;
    const readVarint = (): number => {
      let value = 0;
      let scale = 1;
      for (;;) {
        const byte = this.log.bytes[at++]!;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
        scale *= 0x80;
      }
    };
    const shared = readVarint();
    const restField = readVarint();
    const rest = this.log.read(at, restField);
    at += PackedText.length(restField);
    const size = readVarint();
    const print = this.log.bytes.readUInt32LE(at);
    return { name: this.cursorName.slice(0, shared) + rest, size, fingerprint: print, next: at + 4 };
  }

  /** Starts the comparison again from the first member (a layer streamed twice). */
  rewind(): void {
    this.cursor = 0;
    this.cursorOffset = 0;
    this.cursorName = "";
  }

  /** Throws when the stream pass's next member differs from the hash pass's. */
  check(layer: number, record: EntryRecord): void {
    if (this.cursor >= this.length) throw new LayerChangedError(layer, `${displayPath(record.name)} appeared after the hash pass`);
    const expected = this.expected();
    if (expected.name !== record.name) {
      const removed = comparePaths(record.name, expected.name) > 0;
      throw new LayerChangedError(layer, removed ? `${displayPath(expected.name)} was removed after the hash pass` : `${displayPath(record.name)} appeared after the hash pass`);
    }
    if (expected.size !== record.size) {
      throw new LayerChangedError(layer, `${displayPath(record.name)} changed size from ${expected.size} to ${record.size} bytes`);
    }
    if (expected.fingerprint !== fingerprint(record)) {
      throw new LayerChangedError(layer, `${displayPath(record.name)} changed (content or metadata)`);
    }
    this.cursorName = expected.name;
    this.cursorOffset = expected.next;
    this.cursor++;
  }

  /** Throws when members the hash pass saw never came in the stream pass. */
  checkComplete(layer: number): void {
    if (this.cursor < this.length) throw new LayerChangedError(layer, `${displayPath(this.expected().name)} was removed after the hash pass`);
  }
}

/** The 64-bit floats of ctime and inode as 32-bit words, for mixing. */
const floatBits = new Float64Array(2);
const floatWords = new Uint32Array(floatBits.buffer);

/** A 32-bit mix (murmur3's finaliser steps) of what the size does not cover. */
function fingerprint(record: EntryRecord): number {
  floatBits[0] = record.ctimeMs;
  floatBits[1] = record.inode;
  let h = record.crc >>> 0;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ floatWords[i]!, 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593) ^ (h >>> 13);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
