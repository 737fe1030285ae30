/**
 * Names the first difference between two header groups (PAX extended header
 * and ustar block) of the same member: which PAX record or header field, and
 * both values as a person reads them ("0o755", a date for mtime).
 */
import { BLOCK_SIZE, CHKSUM, type Field } from "../tar/constants.ts";
import { HEADER_FIELDS, type PaxRecordSpan } from "../tar/inspect.ts";
import { fieldNumber } from "../tar/reader.ts";
import { showBytes } from "../tar/show.ts";
import type { TarHead } from "./tar-head.ts";

export interface FieldDifference {
  /** e.g. "header field mode", "PAX record mtime", "PAX header block field size". */
  readonly field: string;
  readonly expected: string;
  readonly found: string;
  /** Offset of the first differing byte within the group (for the IMAGE offset). */
  readonly at: number;
}

const NUMERIC = new Set(["mode", "uid", "gid", "size", "mtime", "chksum", "devmajor", "devminor"]);

function fieldBytes(block: Buffer, field: Field): Buffer {
  return block.subarray(field.offset, field.offset + field.size);
}

/** Raw field text plus its meaning as tarfile reads it: mode in octal, mtime as a date, other numbers in decimal. */
function showField(name: string, block: Buffer, field: Field): string {
  const raw = fieldBytes(block, field);
  const shown = showBytes(raw);
  // An empty field (tarfile reads 0) or one tarfile cannot read has no meaning to add.
  const number = NUMERIC.has(name) && raw.some((byte) => byte !== 0 && byte !== 0x20) ? fieldNumber(block, field) : undefined;
  if (number === undefined) return shown;
  if (name === "mode") return `${shown} (0o${number.toString(8)})`;
  const date = new Date(Number(number) * 1000);
  if (name === "mtime" && !Number.isNaN(date.getTime())) return `${shown} (${number} = ${date.toISOString().replace(".000Z", "Z")})`;
  return `${shown} (${number})`;
}

/**
 * First differing field of two 512-byte blocks.  The checksum sits before
 * typeflag, linkname, uname and gname, yet only follows from them: it is
 * named only when nothing else differs.
 */
function blockDifference(expected: Buffer, found: Buffer, prefix: string, base: number): FieldDifference | undefined {
  let checksum: FieldDifference | undefined;
  for (const [name, field] of HEADER_FIELDS) {
    const e = fieldBytes(expected, field);
    const f = fieldBytes(found, field);
    if (e.equals(f)) continue;
    let at = field.offset;
    while (e[at - field.offset] === f[at - field.offset]) at++;
    const difference = { field: `${prefix} ${name}`, expected: showField(name, expected, field), found: showField(name, found, field), at: base + at };
    if (field === CHKSUM) checksum = difference;
    else return difference;
  }
  if (checksum !== undefined) return checksum;
  const e = expected.subarray(500);
  const f = found.subarray(500);
  return e.equals(f) ? undefined : { field: `${prefix} padding (bytes 500-511)`, expected: showBytes(e), found: showBytes(f), at: base + 500 };
}

function keywords(records: readonly PaxRecordSpan[]): string {
  return `[${records.map((r) => r.keyword).join(", ")}]`;
}

function recordsDifference(expected: TarHead, found: TarHead): FieldDifference | undefined {
  const e = expected.paxRecords;
  const f = found.paxRecords;
  for (let i = 0; i < Math.max(e.length, f.length); i++) {
    const a = e[i];
    const b = f[i];
    if (a !== undefined && b !== undefined && a.keyword === b.keyword) {
      if (!a.value.equals(b.value)) return { field: `PAX record ${a.keyword}`, expected: showBytes(a.value), found: showBytes(b.value), at: a.start };
      continue;
    }
    return { field: "PAX records", expected: keywords(e), found: keywords(f), at: (a ?? b)!.start };
  }
  return undefined;
}

/** The first difference between two groups whose bytes differ (undefined when identical). */
export function headDifference(expected: TarHead, found: TarHead): FieldDifference | undefined {
  if (expected.bytes.equals(found.bytes)) return undefined;
  if (expected.hasPax !== found.hasPax) {
    const describe = (head: TarHead) => (head.hasPax ? `a PAX extended header with records ${keywords(head.paxRecords)}` : "no PAX extended header");
    return { field: "PAX extended header", expected: describe(expected), found: describe(found), at: 0 };
  }
  if (expected.hasPax) {
    // Records first: a changed record also changes the PAX block's size and checksum, which say less.
    const records = recordsDifference(expected, found);
    if (records !== undefined) return records;
    const block = blockDifference(expected.bytes.subarray(0, BLOCK_SIZE), found.bytes.subarray(0, BLOCK_SIZE), "PAX header block field", 0);
    if (block !== undefined) return block;
    const e = expected.bytes.subarray(BLOCK_SIZE, expected.headerStart);
    const f = found.bytes.subarray(BLOCK_SIZE, found.headerStart);
    if (!e.equals(f)) return { field: "padding after the PAX records", expected: showBytes(e), found: showBytes(f), at: BLOCK_SIZE };
  }
  return blockDifference(expected.bytes.subarray(expected.headerStart), found.bytes.subarray(found.headerStart), "header field", expected.headerStart);
}
