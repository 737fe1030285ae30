/**
 * The one tar reader (src/tar/reader.ts) on header blocks written byte by
 * byte here, as node-tar's header tests do: tarfile's numbers (octal text,
 * base-256), its checksum (unsigned or signed sum), the V7 directory rule,
 * PAX framing, header groups with their extensions and faults, and the
 * sync and async drivers giving the same.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BLOCK_SIZE, CHKSUM, MODE, NAME, SIZE, TYPEFLAG, TypeFlag } from "../src/tar/constants.ts";
import { writeChecksum } from "../src/tar/number.ts";
import {
  bufferReader,
  checksumValid,
  fieldNumber,
  hasData,
  memberType,
  paxRecordSpans,
  readAsync,
  readGroup,
  readSync,
  ReadTypeFlag,
  type GroupResult,
  type MemberGroup,
  type ReadPolicy,
} from "../src/tar/reader.ts";
import { TARFILE_WRITTEN, writtenMember } from "../src/tar/written.ts";

/** A header block: `fields` written as latin1 text at their offsets, a size in octal, the checksum last. */
function block(name: string, type: number, size = 0, fields: Record<number, string> = {}): Buffer {
  const out = Buffer.alloc(BLOCK_SIZE);
  out.write(name, NAME.offset, "latin1");
  out.write(`${size.toString(8).padStart(11, "0")}\0`, SIZE.offset, "latin1");
  out[TYPEFLAG.offset] = type;
  for (const [offset, text] of Object.entries(fields)) out.write(text, Number(offset), "latin1");
  writeChecksum(out);
  return out;
}

function padded(payload: string): Buffer {
  const bytes = Buffer.from(payload, "latin1");
  return Buffer.concat([bytes, Buffer.alloc((BLOCK_SIZE - (bytes.length % BLOCK_SIZE)) % BLOCK_SIZE)]);
}

const ZERO = Buffer.alloc(BLOCK_SIZE);
/** The policy a base image is read with, near enough for these tests: tarfile's checksum, GNU long names too. */
const TARFILE_READS: ReadPolicy = {
  check: (b) => (checksumValid(b) ? undefined : { at: CHKSUM.offset, reason: "bad checksum" }),
  extensions: new Set([TypeFlag.paxExtended, ReadTypeFlag.gnuLongName, ReadTypeFlag.gnuLongLink]),
  maxExtensionSize: Number.MAX_SAFE_INTEGER,
};

function group(archive: Buffer, policy: ReadPolicy = TARFILE_WRITTEN, offset = 0): GroupResult {
  return readSync(readGroup(offset, policy), bufferReader(archive, offset));
}

describe("header fields as tarfile reads them", () => {
  test("numbers: octal text with spaces and a sign, empty as 0, base-256 both signs; undefined where nti raises", () => {
    const at = (text: string | number[]): bigint | undefined => {
      const b = Buffer.alloc(BLOCK_SIZE);
      if (typeof text === "string") b.write(text, MODE.offset, "latin1");
      else Buffer.from(text).copy(b, MODE.offset);
      return fieldNumber(b, MODE);
    };
    assert.equal(at("0000644\0"), 0o644n);
    assert.equal(at(" 644 \0"), 0o644n);
    assert.equal(at("-17\0"), -0o17n);
    assert.equal(at("\0\0\0\0"), 0n);
    assert.equal(at([0o200, 0, 0, 0, 0, 0, 1, 0]), 256n);
    assert.equal(at([0o377, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]), -2n);
    assert.equal(at("0009\0"), undefined);
    assert.equal(at("12a\0"), undefined);
  });
  test("the checksum: the unsigned or the signed byte sum, its own field counted as spaces", () => {
    const b = block("a", TypeFlag.regular);
    assert.equal(checksumValid(b), true);
    b[0] = 0xe9; // "é": the unsigned sum moves by 0xe9 - 0x61
    assert.equal(checksumValid(b), false);
    writeChecksum(b);
    assert.equal(checksumValid(b), true);
    let signed = 0;
    for (let i = 0; i < BLOCK_SIZE; i++) signed += i >= CHKSUM.offset && i < CHKSUM.offset + 8 ? 0x20 : b[i]! > 127 ? b[i]! - 256 : b[i]!;
    b.write(`${signed.toString(8).padStart(6, "0")}\0 `, CHKSUM.offset, "latin1");
    assert.equal(checksumValid(b), true, "the signed sum some old tars wrote");
  });
  test("an old regular file named with a trailing slash is a directory; which types carry data", () => {
    assert.equal(memberType(block("d/", ReadTypeFlag.oldRegular)), TypeFlag.directory);
    assert.equal(memberType(block("f", ReadTypeFlag.oldRegular)), ReadTypeFlag.oldRegular);
    assert.equal(memberType(block("d/", TypeFlag.regular)), TypeFlag.regular);
    assert.deepEqual(
      [TypeFlag.regular, ReadTypeFlag.oldRegular, ReadTypeFlag.contiguous, 0x41, ReadTypeFlag.hardlink, TypeFlag.symlink, TypeFlag.directory, TypeFlag.char].map(hasData),
      [true, true, true, true, false, false, false, false],
    );
  });
  test("PAX records: framing checked, offsets kept, a NUL ends them", () => {
    const records = paxRecordSpans(Buffer.from("10 path=a\n15 uname=r\xc3\xa9mi\n\0\0", "latin1"), 1000);
    assert.ok(typeof records !== "string");
    assert.deepEqual(records.map((r) => [r.keyword, r.value.toString("utf8"), r.start, r.end]), [
      ["path", "a", 1000, 1010],
      ["uname", "rémi", 1010, 1025],
    ]);
    for (const bad of ["11 path=a\n", "10 path=ab", "x path=a\n", "6 =ab\n", "99 path=a\n"]) assert.match(String(paxRecordSpans(Buffer.from(bad))), /a malformed record at byte 0/, bad);
  });
});

describe("header groups", () => {
  test("a PAX header folds into the member after it: path and size from the records", () => {
    const pax = "29 path=a-very-long-name.txt\n12 size=700\n";
    const archive = Buffer.concat([block("././@PaxHeader", TypeFlag.paxExtended, pax.length), padded(pax), block("a-very-long", TypeFlag.regular, 0o777), Buffer.alloc(1024), ZERO]);
    const result = group(archive);
    assert.ok(result.kind === "member", result.kind);
    assert.deepEqual([result.offset, result.blockOffset, result.bytes.length, result.extensions.length], [0, 1024, 1536, 1]);
    const member = writtenMember(result);
    assert.ok(!("kind" in member));
    assert.deepEqual([member.name.toString(), member.dataSize, member.paxHeaderOffset, member.paxRecords.map((r) => r.start)], ["a-very-long-name.txt", 700, 0, [512, 541]]);
  });
  test("GNU long names are extensions only where the policy says so", () => {
    const name = "n".repeat(120);
    const archive = Buffer.concat([block("././@LongLink", ReadTypeFlag.gnuLongName, name.length + 1), padded(`${name}\0`), block("n".repeat(100), TypeFlag.directory), ZERO]);
    const folded = group(archive, TARFILE_READS);
    assert.deepEqual(folded.kind === "member" && [folded.blockOffset, folded.extensions[0]!.payload.toString("latin1")], [1024, `${name}\0`]);
    const alone = group(archive, TARFILE_WRITTEN);
    assert.deepEqual(alone.kind === "member" && [alone.blockOffset, alone.block[TYPEFLAG.offset]], [0, ReadTypeFlag.gnuLongName]);
  });
  test("the end, a truncated group, and each fault with its offset", () => {
    assert.deepEqual(group(Buffer.concat([block("a", TypeFlag.regular), ZERO]), TARFILE_WRITTEN, 512), { kind: "end", offset: 512 });
    const pax = "10 path=a\n";
    const head = Buffer.concat([block("x", TypeFlag.paxExtended, pax.length), padded(pax)]);
    assert.deepEqual(group(head.subarray(0, 700)), { kind: "eof", offset: 0, partial: head.subarray(0, 700), headerAt: 1024, extensions: [] });
    const cut = group(Buffer.concat([head, block("a", TypeFlag.regular).subarray(0, 100)]));
    assert.deepEqual(cut.kind === "eof" && [cut.headerAt, cut.extensions.map((e) => e.payload.toString())], [1024, [pax]]);
    const bad = (archive: Buffer, policy?: ReadPolicy): [number, string, boolean] | undefined => {
      const result = group(archive, policy);
      return result.kind === "bad" ? [result.offset, result.reason, result.afterExtension] : undefined;
    };
    assert.deepEqual(bad(Buffer.concat([head, head, block("a", TypeFlag.regular)])), [1024, "two PAX headers in a row", true]);
    assert.deepEqual(bad(Buffer.concat([head, ZERO])), [1024, "an end-of-archive block after an extended header", true]);
    const notOctal = block("a", TypeFlag.regular);
    notOctal.write("12345678901x", SIZE.offset, "latin1");
    assert.deepEqual(bad(notOctal), [SIZE.offset, 'size field is not octal: "12345678901x"', false]);
    assert.deepEqual(bad(Buffer.concat([block("x", TypeFlag.paxExtended, 2 << 20), Buffer.alloc(2 << 20)])), [0, `an extended header of ${2 << 20} bytes, implausibly large`, false]);
    const badSum = block("a", TypeFlag.regular);
    badSum[0] = 0x62;
    assert.deepEqual(bad(Buffer.concat([head, badSum]), TARFILE_READS), [1024 + CHKSUM.offset, "bad checksum", true]);
    const garbled = Buffer.concat([block("x", TypeFlag.paxExtended, 10), padded("10 path=ab"), block("a", TypeFlag.regular)]);
    const result = group(garbled);
    assert.deepEqual(result.kind === "member" && writtenMember(result), { kind: "bad", offset: 512, reason: "PAX extended header: a malformed record at byte 0", afterExtension: true, extensions: (result as MemberGroup).extensions });
  });
  test("the async driver reads the same, in whatever pieces it is handed", async () => {
    const pax = "29 path=a-very-long-name.txt\n";
    const archive = Buffer.concat([block("x", TypeFlag.paxExtended, pax.length), padded(pax), block("a", TypeFlag.symlink), ZERO]);
    const read = bufferReader(archive);
    const asynchronous = await readAsync(readGroup(0, TARFILE_WRITTEN), async (length) => read(length));
    assert.deepEqual(asynchronous, group(archive));
  });
});
