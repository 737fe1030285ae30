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
  /** The two lanes while an entry is mixed. */
  private laneA = 0;
  private laneB = 0;
  /** The last entry's directory part (up to its last "/") and the lanes after it: its siblings start from there. */
  private lastDirectory = "";
  private directoryA = 0;
  private directoryB = 0;

  /** Mixes name[start, end) into the lanes, two UTF-16 units a word (the last one alone when the range is odd). */
  private mixText(name: string, start: number, end: number): void {
    let a = this.laneA;
    let b = this.laneB;
    for (let i = start; i < end; i += 2) {
      const word = name.charCodeAt(i) | (i + 1 < end ? name.charCodeAt(i + 1) << 16 : 0);
      a = mix(a, word, 0xcc9e2d51);
      b = mix(b, word, 0x85ebca77);
    }
    this.laneA = a;
    this.laneB = b;
  }

  /** Mixes a stat number's 64 bits into the lanes. */
  private mixNumber(value: number): void {
    floatBits[0] = value;
    this.laneA = mix(mix(this.laneA, floatWords[0]!, 0xcc9e2d51), floatWords[1]!, 0xcc9e2d51);
    this.laneB = mix(mix(this.laneB, floatWords[0]!, 0x85ebca77), floatWords[1]!, 0x85ebca77);
  }

  add(entry: { readonly name: string; readonly stat: EntryStat }): void {
    const { name, stat } = entry;
    const kind = stat.mode & constants.S_IFMT;
    // The directory part, then the rest: siblings (most entries follow one)
    // share the lanes after their directory, so only their own names are mixed.
    const split = name.lastIndexOf("/") + 1;
    const directory = name.slice(0, split);
    if (directory !== this.lastDirectory) {
      // Two lanes with their own seeds and multipliers: one hash of 64 bits.
      this.laneA = 0x9747b28c;
      this.laneB = 0x2f1b3a5d;
      this.mixText(name, 0, split);
      this.lastDirectory = directory;
      this.directoryA = this.laneA;
      this.directoryB = this.laneB;
    }
    this.laneA = this.directoryA;
    this.laneB = this.directoryB;
    this.mixText(name, split, name.length);
    let words = 2;
    this.mixNumber(stat.mode);
    this.mixNumber(kind === constants.S_IFREG ? stat.size : 0);
    if (kind !== constants.S_IFDIR) {
      this.mixNumber(stat.ctimeMs);
      this.mixNumber(stat.ino);
      words += 2;
    }
    if (kind === constants.S_IFCHR || kind === constants.S_IFBLK) {
      this.mixNumber(stat.rdev);
      words++;
    }
    this.first = (this.first + finish(this.laneA, name.length)) >>> 0;
    this.second = (this.second + finish(this.laneB, name.length + words)) >>> 0;
    this.count++;
  }

  /** The print as text: what a cache entry records and a later walk must give again. */
  digest(): string {
    const hex = (value: number) => value.toString(16).padStart(8, "0");
    return `${hex(this.first)}${hex(this.second)}-${this.count}`;
  }
}
