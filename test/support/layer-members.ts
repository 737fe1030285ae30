/**
 * A deliberately small, separate tar reader for the published-image
 * fixtures: each member's header fields and content sha256, keyed by name,
 * so that a variant's intended difference (one byte, every mtime, every
 * uid, one layer) can be checked against the bytes our CLI streams without
 * going through the code verify and diff are built on.  Reads ustar
 * headers, numbers in octal or base-256, and PAX 'x' records (which
 * override the header fields they name); that is all our images use.
 */
import { createHash } from "node:crypto";

export interface MemberFields {
  readonly name: string;
  /** Header fields as text (numbers in decimal), and `content`: the data's sha256. */
  readonly fields: Readonly<Record<string, string>>;
}

const BLOCK = 512;

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString("utf8");
}

function number(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  if ((field[0]! & 0x80) !== 0) {
    // base-256: the first byte's high bit is the marker, bit 6 the sign.
    let value = BigInt(field[0]! & 0x7f) - ((field[0]! & 0x40) !== 0 ? 128n : 0n);
    for (const byte of field.subarray(1)) value = value * 256n + BigInt(byte);
    return value.toString();
  }
  const digits = text(block, start, length).trim();
  return digits === "" ? "0" : BigInt(`0o${digits}`).toString();
}

function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString("ascii"));
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const equals = record.indexOf("=");
    records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

const PAX_FIELD: Readonly<Record<string, string>> = { linkpath: "linkname", uid: "uid", gid: "gid", uname: "uname", gname: "gname", size: "size", mtime: "mtime" };

interface Entry {
  readonly block: Buffer;
  readonly name: string;
  readonly data: Buffer;
  /** The PAX records that preceded it. */
  readonly pax: ReadonlyMap<string, string>;
}

/** A tarball's entries (PAX headers folded into the entry they describe), up to the first zero block. */
function* entries(tar: Buffer): Generator<Entry> {
  let pax = new Map<string, string>();
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const block = tar.subarray(at, at + BLOCK);
    if (block.every((byte) => byte === 0)) return;
    const size = Number(number(block, 124, 12));
    const data = tar.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const type = text(block, 156, 1);
    if (type === "x") {
      pax = paxRecords(data);
      continue;
    }
    if (type === "g") continue;
    const prefix = text(block, 345, 155);
    yield { block, name: pax.get("path") ?? (prefix === "" ? text(block, 0, 100) : `${prefix}/${text(block, 0, 100)}`), data, pax };
    pax = new Map();
  }
}

/** The members of one layer tarball, in order. */
export function layerMembers(tar: Buffer): MemberFields[] {
  return [...entries(tar)].map(({ block, name, data, pax }) => {
    const fields: Record<string, string> = {
      mode: number(block, 100, 8),
      uid: number(block, 108, 8),
      gid: number(block, 116, 8),
      size: String(data.length),
      mtime: number(block, 136, 12),
      typeflag: text(block, 156, 1),
      linkname: text(block, 157, 100),
      uname: text(block, 265, 32),
      gname: text(block, 297, 32),
      devmajor: number(block, 329, 8),
      devminor: number(block, 337, 8),
    };
    for (const [key, value] of pax) if (PAX_FIELD[key] !== undefined) fields[PAX_FIELD[key]] = value.replace(/\.0*$/, "");
    fields["content"] = createHash("sha256").update(data).digest("hex");
    return { name, fields };
  });
}

export interface MemberDifference {
  readonly name: string;
  /** Fields that differ, in header order (content last). */
  readonly fields: readonly string[];
}

/** Members of `b` whose fields differ from `a`'s same-named member; members only in one side are "added"/"removed". */
export function compareLayers(a: readonly MemberFields[], b: readonly MemberFields[]): { changed: MemberDifference[]; added: string[]; removed: string[] } {
  const before = new Map(a.map((m) => [m.name, m.fields]));
  const after = new Map(b.map((m) => [m.name, m.fields]));
  const changed: MemberDifference[] = [];
  for (const member of b) {
    const old = before.get(member.name);
    if (old === undefined) continue;
    const fields = Object.keys(member.fields).filter((key) => old[key] !== member.fields[key]);
    if (fields.length > 0) changed.push({ name: member.name, fields });
  }
  return {
    changed,
    added: b.filter((m) => !before.has(m.name)).map((m) => m.name),
    removed: a.filter((m) => !after.has(m.name)).map((m) => m.name),
  };
}

/** The outer docker-archive's members by name (the layer tarballs and the config), whole in memory. */
export function archiveMembers(archive: Buffer): Map<string, Buffer> {
  return new Map([...entries(archive)].map((entry) => [entry.name, entry.data]));
}
