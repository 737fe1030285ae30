/**
 * How a `from_image` archive's extended headers are read (tarfile's
 * `_proc_pax` / `_proc_gnulong`), and the one-line refusal for each kind
 * not reproduced: PAX global headers, GNU sparse members and records, two
 * PAX headers in a row, records 3.8–3.12 and 3.13 read differently.  The
 * bytes written again are pinned by the cur-from-pax-* and
 * cur-from-gnu-long-names goldens.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BaseImageError } from "../src/base-image/errors.ts";
import { listMembers } from "../src/base-image/members.ts";
import type { TarInfo } from "../src/tar/tarinfo.ts";
import { profileFor, TAR_FORMAT_CURRENT } from "../src/profile/python.ts";
import { BLOCK_SIZE, TypeFlag } from "../src/tar/constants.ts";
import { encodeHeader } from "../src/tar/header.ts";
import { writeChecksum } from "../src/tar/number.ts";
import type { PythonVersion } from "../src/py/version.ts";

const dir = mkdtempSync(join(tmpdir(), "sli-base-archive-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const pad = (bytes: Buffer): Buffer => Buffer.concat([bytes, Buffer.alloc((BLOCK_SIZE - (bytes.length % BLOCK_SIZE)) % BLOCK_SIZE)]);

/** One header block of any type byte (checksum rewritten after the patch). */
function block(name: string, type: number, size: number, type2 = TypeFlag.regular as number): Buffer {
  const bytes = encodeHeader({ name, mode: 0o644, uid: 0, gid: 0, size, mtime: 1700000000, type: type2 as TypeFlag, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0 }, TAR_FORMAT_CURRENT);
  bytes[156] = type;
  writeChecksum(bytes);
  return bytes;
}

/** A PAX (x/g) or GNU long-name (L/K) header carrying `payload`. */
const extended = (type: number, payload: Buffer): Buffer => Buffer.concat([block("././@PaxHeader", type, payload.length), pad(payload)]);
const file = (name: string, content = "data"): Buffer => Buffer.concat([block(name, TypeFlag.regular, content.length), pad(Buffer.from(content))]);
const record = (text: string): string => {
  for (let n = 1; ; n++) if (Buffer.byteLength(`${n} ${text}\n`) === n) return `${n} ${text}\n`;
};
const pax = (...texts: string[]): Buffer => extended(0x78, Buffer.from(texts.map(record).join(""), "utf8"));

let count = 0;
function members(parts: readonly Buffer[], version: PythonVersion = "3.13"): TarInfo[] {
  const path = join(dir, `a${count++}.tar`);
  writeFileSync(path, Buffer.concat([...parts, Buffer.alloc(2 * BLOCK_SIZE)]));
  const fd = openSync(path, "r");
  try {
    return listMembers(fd, path, profileFor(version).baseArchive);
  } finally {
    closeSync(fd);
  }
}

function refused(parts: readonly Buffer[], pattern: RegExp): void {
  assert.throws(() => members(parts), (error: unknown) => error instanceof BaseImageError && pattern.test(error.message) && !error.message.includes("\n"));
}

describe("base archive: extended headers read as tarfile reads them", () => {
  test("PAX records replace the fields and stay on the member, in order", () => {
    const [member, next] = members([pax("path=dé/long/", "comment=x", "uid=9", "mtime=12.5"), file("ignored"), file("after")]);
    assert.equal(member!.name, "dé/long");
    assert.equal(member!.header.uid, 9n);
    assert.equal(member!.header.mtime, 12.5);
    assert.deepEqual([...member!.header.pax!.keys()], ["path", "comment", "uid", "mtime"]);
    assert.equal(next!.name, "after");
  });

  test("a size record moves where the next header starts", () => {
    const [member, next] = members([pax("size=600"), block("big", TypeFlag.regular, 4), Buffer.alloc(1024), file("after")]);
    assert.equal(member!.size, 600);
    assert.equal(next!.name, "after");
  });

  test("GNU long name and long link name", () => {
    const long = "n".repeat(150);
    const [member] = members([extended(0x4c, Buffer.from(`${long}\0`)), extended(0x4b, Buffer.from("t".repeat(120) + "\0")), block(long.slice(0, 100), TypeFlag.symlink, 0)]);
    assert.equal(member!.name, long);
    assert.equal(member!.linkname, "t".repeat(120));
    assert.equal(member!.header.pax, undefined);
  });

  test("a GNU long directory name keeps its slash under 3.9, not 3.10", () => {
    const parts = [extended(0x4c, Buffer.from(`${"d".repeat(120)}/\0`)), block("d", TypeFlag.directory, 0, TypeFlag.directory)];
    assert.equal(members(parts, "3.9")[0]!.name, `${"d".repeat(120)}/`);
    assert.equal(members(parts, "3.10")[0]!.name, "d".repeat(120));
  });
});

describe("base archive: what is refused with one line", () => {
  test("a PAX global header", () => refused([extended(0x67, Buffer.from(record("comment=x"))), file("a")], /PAX global header/));
  test("a GNU sparse member", () => refused([block("s", 0x53, 0)], /GNU sparse header/));
  test("GNU sparse PAX records", () => refused([pax("GNU.sparse.major=1", "GNU.sparse.minor=0"), file("a")], /GNU sparse records/));
  test("two PAX headers in a row", () => refused([pax("comment=a"), pax("comment=b"), file("a")], /two PAX headers in a row/));
  test("a malformed record", () => refused([extended(0x78, Buffer.from("9 comment\n")), file("a")], /malformed record at byte 0/));
  test("hdrcharset after another record", () => refused([pax("comment=a", "hdrcharset=BINARY"), file("a")], /hdrcharset record that is not the first/));
  test("a number int() or float() would read otherwise", () => refused([pax("uid= 7"), file("a")], /uid=" 7" is not a plain decimal number/));
  test("no member after a PAX header", () => refused([pax("comment=a")], /missing or bad header at offset 1024/));
});
