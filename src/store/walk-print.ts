/**
 * What the digest cache compares a layer's store paths against: a print of
 * every walked entry's name and metadata, computed from the walk alone (no
 * tar header encoded, no link read, no file opened), so checking that a
 * cached layer is current costs one readdir per directory and one lstat per
 * entry.
 *
 * What goes in, per entry: its member name, its mode (type and permission
 * bits: a chmod or a file replaced by a link), its size when it is a regular
 * file, and, for anything but a directory, its ctime and inode.  Any write
 * to a file, any chmod, any new link to it moves its ctime, which user space
 * cannot set back; a symlink cannot be retargeted in place (a new one is a
 * new inode).  An entry added or removed changes the set of names.  A
 * directory's own ctime is left out: it moves whenever a child comes or goes,
 * which the names already say.  Owners and mtimes are not read: every
 * script generation writes the layer's owner and mtime in their place (the
 * digest cache key holds both).
 *
 * The print is a sum, over entries, of two independent 32-bit hashes of each
 * entry (and the count): the order of the walk does not matter (the names
 * fix it), and the walk could be split among threads.  It is a check against
 * accidents, not an adversary: one who can write to the store could change
 * a file before the hash pass just as well, and a cached layer's sha256 is
 * computed again whenever its bytes are read (see digest-cache.ts).
 */
import { constants } from "node:fs";
import type { EntryStat } from "./walk.ts";

/** The 64-bit floats of a stat as 32-bit words, for mixing. */
const floatBits = new Float64Array(1);
const floatWords = new Uint32Array(floatBits.buffer);

/** murmur3's 32-bit block step. */
function mix(h: number, word: number, multiplier: number): number {
  let k = Math.imul(word, multiplier);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  const next = h ^ k;
  return Math.imul((next << 13) | (next >>> 19), 5) + 0xe6546b64;
}

/** murmur3's finaliser. */
function finish(h: number, length: number): number {
  let f = h ^ length;
  f ^= f >>> 16;
  f = Math.imul(f, 0x85ebca6b);
  f ^= f >>> 13;
  f = Math.imul(f, 0xc2b2ae35);
  f ^= f >>> 16;
  return f >>> 0;
}

export class WalkPrint {
  private first = 0;
  private second = 0;
  private count = 0;

  add(entry: { readonly name: string; readonly stat: EntryStat }): void {
    const { name, stat } = entry;
    const kind = stat.mode & constants.S_IFMT;
    // Two lanes with their own seeds and multipliers: one hash of 64 bits.
    let a = 0x9747b28c;
    let b = 0x2f1b3a5d;
    // Two UTF-16 units a word (past the end, charCodeAt's NaN shifts to 0): the hash pass pays this per entry too.
    for (let i = 0; i < name.length; i += 2) {
      const word = name.charCodeAt(i) | (name.charCodeAt(i + 1) << 16);
      a = mix(a, word, 0xcc9e2d51);
      b = mix(b, word, 0x85ebca77);
    }
    const words = [stat.mode, kind === constants.S_IFREG ? stat.size : 0];
    if (kind !== constants.S_IFDIR) words.push(stat.ctimeMs, stat.ino);
    if (kind === constants.S_IFCHR || kind === constants.S_IFBLK) words.push(stat.rdev);
    for (const value of words) {
      floatBits[0] = value;
      a = mix(mix(a, floatWords[0]!, 0xcc9e2d51), floatWords[1]!, 0xcc9e2d51);
      b = mix(mix(b, floatWords[0]!, 0x85ebca77), floatWords[1]!, 0x85ebca77);
    }
    this.first = (this.first + finish(a, name.length)) >>> 0;
    this.second = (this.second + finish(b, name.length + words.length)) >>> 0;
    this.count++;
  }

  /** Adds the entries of a print taken of another part of the walk (its digest()): the print of both parts' entries. */
  addDigest(digest: string): void {
    const match = /^([0-9a-f]{8})([0-9a-f]{8})-(\d+)$/.exec(digest);
    if (match === null) throw new TypeError(`not a walk print: ${JSON.stringify(digest)}`);
    this.first = (this.first + parseInt(match[1]!, 16)) >>> 0;
    this.second = (this.second + parseInt(match[2]!, 16)) >>> 0;
    this.count += Number(match[3]);
  }

  /** The print as text: what a cache entry records and a later walk must give again. */
  digest(): string {
    const hex = (value: number) => value.toString(16).padStart(8, "0");
    return `${hex(this.first)}${hex(this.second)}-${this.count}`;
  }
}
