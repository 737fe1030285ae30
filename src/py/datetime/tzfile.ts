/**
 * TZif files (RFC 8536, versions 1 to 4) read and applied as glibc 2.36's
 * tzfile.c does (`__tzfile_read`, `__tzfile_compute`, `__tzfile_default`),
 * from the system's zoneinfo files (never from ICU/Intl, whose tz data can
 * differ from the system's).
 *
 * glibc specifics reproduced:
 *  - with a version >= 2 file only the 64-bit data block is used;
 *  - before the first transition (or with none) the FIRST NON-DST type
 *    applies (not type 0 per RFC 8536);
 *  - at or after the last transition the footer TZ string decides (if the
 *    file has a non-empty one), else the last transition's type;
 *  - leap-second records ("right/" zones) shift the result and can produce
 *    a 60th second.
 */
import { type PosixTz, parsePosixTz } from "./posix-tz.ts";
import { posixTzOffset } from "./posix-tz-offset.ts";

export interface TzType {
  offset: number;
  isdst: boolean;
  isstd: boolean;
  isgmt: boolean;
}

export interface TzFile {
  transitions: number[];
  typeIdxs: number[];
  types: TzType[];
  leaps: { transition: number; change: number }[];
  /** Parsed footer, null when absent or empty. */
  footer: PosixTz | null;
  /** Offset of the type of the latest transition to standard time (glibc rule_stdoff). */
  ruleStdOff: number;
}

const HEADER = 44;

/** The counts of a TZif header (RFC 8536 section 3.1), in the file's order. */
interface TzifCounts {
  readonly isgmt: number;
  readonly isstd: number;
  readonly leaps: number;
  readonly trans: number;
  readonly types: number;
  readonly chars: number;
}

/** Where the data block glibc reads starts, its time width and its counts. */
interface TzifBlock {
  readonly at: number;
  readonly width: 4 | 8;
  readonly counts: TzifCounts;
}

function hasMagic(buf: Uint8Array, at: number): boolean {
  return at + HEADER <= buf.length && buf[at] === 0x54 && buf[at + 1] === 0x5a && buf[at + 2] === 0x69 && buf[at + 3] === 0x66;
}

function readCounts(view: DataView, base: number): TzifCounts {
  return {
    isgmt: view.getUint32(base + 20),
    isstd: view.getUint32(base + 24),
    leaps: view.getUint32(base + 28),
    trans: view.getUint32(base + 32),
    types: view.getUint32(base + 36),
    chars: view.getUint32(base + 40),
  };
}

/**
 * The header of the block glibc uses: the first one, or with a version >= 2
 * file the 64-bit one after it; null where glibc gives up (no magic, more
 * std/gmt indicators than types, data cut short).
 */
function locateBlock(buf: Uint8Array, view: DataView): TzifBlock | null {
  let at = 0;
  if (!hasMagic(buf, at)) return null;
  let c = readCounts(view, at);
  if (c.isstd > c.types || c.isgmt > c.types) return null;
  let width: 4 | 8 = 4;
  if (buf[at + 4] !== 0) {
    // Any version byte: skip the 32-bit block and use the 64-bit one.
    at += HEADER + c.trans * 5 + c.types * 6 + c.chars + c.leaps * 8 + c.isstd + c.isgmt;
    if (!hasMagic(buf, at)) return null;
    c = readCounts(view, at);
    if (c.isstd > c.types || c.isgmt > c.types) return null;
    width = 8;
  }
  const dataEnd = at + HEADER + c.trans * (width + 1) + c.types * 6 + c.chars + c.leaps * (width + 4) + c.isstd + c.isgmt;
  if (dataEnd > buf.length) return null;
  // glibc insists on at least two bytes after a 64-bit block ("\n" ... "\n").
  if (width === 8 && buf.length - dataEnd < 2) return null;
  return { at, width, counts: c };
}

/** Parse a TZif image the way glibc accepts it; null where glibc gives up. */
export function parseTzif(buf: Uint8Array): TzFile | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const block = locateBlock(buf, view);
  if (block === null) return null;
  const { width, counts: c } = block;
  let p = block.at + HEADER;
  const readTime = (q: number): number => (width === 4 ? view.getInt32(q) : Number(view.getBigInt64(q)));
  const transitions: number[] = [];
  for (let i = 0; i < c.trans; i++, p += width) transitions.push(readTime(p));
  const typeIdxs: number[] = [];
  for (let i = 0; i < c.trans; i++, p++) {
    const idx = buf[p]!;
    if (idx >= c.types) return null;
    typeIdxs.push(idx);
  }
  const types: TzType[] = [];
  for (let i = 0; i < c.types; i++, p += 6) {
    const isdst = buf[p + 4]!;
    if (isdst > 1 || buf[p + 5]! > c.chars) return null;
    types.push({ offset: view.getInt32(p), isdst: isdst === 1, isstd: false, isgmt: false });
  }
  p += c.chars;
  const leaps: { transition: number; change: number }[] = [];
  for (let i = 0; i < c.leaps; i++, p += width + 4) {
    leaps.push({ transition: readTime(p), change: view.getInt32(p + width) });
  }
  for (let i = 0; i < c.isstd; i++, p++) types[i]!.isstd = buf[p] !== 0;
  for (let i = 0; i < c.isgmt; i++, p++) types[i]!.isgmt = buf[p] !== 0;
  const footer = width === 8 ? readFooter(buf, p) : null;
  return { transitions, typeIdxs, types, leaps, footer, ruleStdOff: ruleStdOffset(transitions, typeIdxs, types) };
}

/** The footer's TZ string after a 64-bit block ending at p, parsed; null when absent or empty. */
function readFooter(buf: Uint8Array, p: number): PosixTz | null {
  if (buf[p] !== 0x0a) return null;
  // glibc takes everything between the first "\n" and the file's last byte
  // as a C string (so it also stops at a NUL).
  const raw = Buffer.from(buf.subarray(p + 1, buf.length - 1)).toString("latin1");
  const spec = raw.split("\0", 1)[0] ?? "";
  return spec === "" ? null : parsePosixTz(spec);
}

/**
 * glibc's rule_stdoff: the offset of the latest transition to a standard
 * time type (of type 0 when there are no transitions, 0 when none is std).
 */
function ruleStdOffset(transitions: readonly number[], typeIdxs: readonly number[], types: readonly TzType[]): number {
  for (let i = transitions.length - 1; i >= 0; i--) {
    const t = types[typeIdxs[i]!]!;
    if (!t.isdst) return t.offset;
  }
  return transitions.length === 0 ? (types[0]?.offset ?? 0) : 0;
}

/**
 * glibc `__tzfile_default`: a TZ string like "AAA3BBB" (DST named, no rules)
 * borrows the transitions of the `posixrules` file, re-expressed for the
 * user's standard and DST offsets.  The file's own footer stays in place,
 * so after its last transition the file's offsets come back (a glibc quirk).
 */
export function retargetTzFile(file: TzFile, stdOff: number, dstOff: number): TzFile | null {
  if (file.types.length < 2) return null;
  const transitions = file.transitions.slice();
  const typeIdxs: number[] = [];
  let isdst = false;
  for (let i = 0; i < transitions.length; i++) {
    const type = file.types[file.typeIdxs[i]!]!;
    typeIdxs.push(type.isdst ? 1 : 0);
    if (type.isgmt) {
      // Transition given in UT: nothing to correct.
    } else if (isdst && !type.isstd) {
      // Wall-clock time out of DST: glibc adds "user DST offset - rule_dstoff",
      // and experiments with crafted posixrules files show its rule_dstoff
      // is 0 here whatever DST offsets the file holds.
      transitions[i]! += dstOff;
    }
    else {
      // Wall-clock time in standard time: shift by the difference of the
      // standard offsets (glibc's sign, which moves the instant the "wrong"
      // way; kept because it is what localtime returns).
      transitions[i]! += stdOff - file.ruleStdOff;
    }
    isdst = type.isdst;
  }
  const types: TzType[] = [
    { ...file.types[0]!, offset: stdOff, isdst: false },
    { ...file.types[1]!, offset: dstOff, isdst: true },
  ];
  return { ...file, transitions, typeIdxs, types };
}

/** Result of glibc's zone lookup for one instant. */
export interface ZoneLookup {
  /** tm_gmtoff. */
  gmtoff: number;
  /** Leap seconds to subtract before breaking the time down. */
  leapCorrection: number;
  /** Seconds to add to tm_sec when t is exactly on inserted leap seconds. */
  leapHit: number;
}

/** glibc `__tzfile_compute` for localtime: offset (and leap data) at epoch second t. */
export function tzFileLookup(file: TzFile, t: number): ZoneLookup {
  const { transitions, typeIdxs, types } = file;
  const n = transitions.length;
  let gmtoff: number;
  if (n === 0 || t < transitions[0]!) {
    let i = 0;
    while (i < types.length && types[i]!.isdst) i++;
    if (i === types.length) i = 0;
    gmtoff = types[i]?.offset ?? 0;
  } else if (t >= transitions[n - 1]! && file.footer !== null) {
    gmtoff = posixTzOffset(file.footer, t).offset;
  } else {
    // Upper bound: the first transition after t; its predecessor's type rules.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t < transitions[mid]!) hi = mid;
      else lo = mid + 1;
    }
    gmtoff = types[typeIdxs[lo - 1]!]!.offset;
  }
  return { gmtoff, ...leapAt(file, t) };
}

/** The leap-second part of `__tzfile_compute`. */
function leapAt(file: TzFile, t: number): { leapCorrection: number; leapHit: number } {
  const { leaps } = file;
  let i = leaps.length;
  do {
    if (i-- === 0) return { leapCorrection: 0, leapHit: 0 };
  } while (t < leaps[i]!.transition);
  const leapCorrection = leaps[i]!.change;
  let leapHit = 0;
  if (t === leaps[i]!.transition && leaps[i]!.change > (i === 0 ? 0 : leaps[i - 1]!.change)) {
    leapHit = 1;
    while (
      i > 0 &&
      leaps[i]!.transition === leaps[i - 1]!.transition + 1 &&
      leaps[i]!.change === leaps[i - 1]!.change + 1
    ) {
      leapHit++;
      i--;
    }
  }
  return { leapCorrection, leapHit };
}
