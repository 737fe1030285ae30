/**
 * A tar member reduced to what `diff` compares (MemberSummary): its fields
 * by name, JSON-safe, and the pairing key; and which of those fields the
 * ignore options leave out.
 */
import type { TarInfo } from "../tar/tarinfo.ts";
import type { DiffOptions, FieldValue, MemberSummary } from "./diff-types.ts";

/** Type flags by the name the report gives them; "0" and V7's NUL are both plain files. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x00: "file",
  0x30: "file",
  0x31: "hardlink",
  0x32: "symlink",
  0x33: "char",
  0x34: "block",
  0x35: "dir",
  0x36: "fifo",
  0x37: "contiguous file",
  0x53: "GNU sparse file",
  0x67: "PAX global header",
};

/** PAX records tarfile folds into the fields compared by name (a difference there shows as that field's). */
const FOLDED_PAX = new Set(["path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime"]);

/** PAX mtime is folded into mtime; atime and ctime have no header field. */
const TIMESTAMP_FIELDS = new Set(["mtime", "pax.atime", "pax.ctime"]);
const OWNER_FIELDS = new Set(["uid", "gid", "uname", "gname"]);

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${JSON.stringify(String.fromCharCode(type))}`;
}

/** A number as a JSON number while it is exact, else its decimal text. */
function value(n: number | bigint): FieldValue {
  if (typeof n === "number") return n;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/**
 * The pairing key: archives spell the same path "a", "./a" or "/a", and a
 * directory with or without its "/"; these are one file once extracted.
 */
export function pairingKey(name: string): string {
  const key = name.replace(/^(?:\.?\/)+/, "").replace(/\/+$/, "");
  return key === "" || key === "." ? "." : key;
}

/** The member's summary; `sha256` is its content's digest (hex) when it has content. */
export function memberSummary(info: TarInfo, sha256: string | undefined): MemberSummary {
  const header = info.header;
  const fields = new Map<string, FieldValue>([
    ["name", info.name],
    ["type", typeName(info.type)],
    ["mode", header.mode],
    ["uid", value(header.uid)],
    ["gid", value(header.gid)],
    ["uname", header.uname],
    ["gname", header.gname],
    ["mtime", value(header.mtime)],
    ["size", info.size],
    ["content", sha256 ?? null],
    ["linkname", info.linkname],
    ["devmajor", header.devmajor],
    ["devminor", header.devminor],
  ]);
  for (const [keyword, text] of header.pax ?? []) if (!FOLDED_PAX.has(keyword)) fields.set(`pax.${keyword}`, text);
  return { name: info.name, key: pairingKey(info.name), type: typeName(info.type), fields };
}

/** The field is not compared under these options. */
export function ignoredField(field: string, options: DiffOptions): boolean {
  return (options.ignoreTimestamps === true && TIMESTAMP_FIELDS.has(field)) || (options.ignoreOwners === true && OWNER_FIELDS.has(field));
}

/** The fields of `a` and `b` that differ ([A, B]; a field one side lacks is null there), in a's order then b's. */
export function fieldChanges(a: MemberSummary, b: MemberSummary, options: DiffOptions): Map<string, readonly [FieldValue, FieldValue]> {
  const changes = new Map<string, readonly [FieldValue, FieldValue]>();
  for (const field of new Set([...a.fields.keys(), ...b.fields.keys()])) {
    if (ignoredField(field, options)) continue;
    const x = a.fields.get(field) ?? null;
    const y = b.fields.get(field) ?? null;
    if (!Object.is(x, y)) changes.set(field, [x, y]);
  }
  return changes;
}
