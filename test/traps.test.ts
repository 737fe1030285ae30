/**
 * Every tar-header and walking rule of ../shared/reference/TRAPS.md, checked
 * on the reference's own golden output (so the fixtures provably exercise
 * it); golden-layers.test.ts checks that our bytes equal those goldens.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTarLayout, type TarMember } from "../src/tar/inspect.ts";
import { CHKSUM, DEVMAJOR, DEVMINOR, GNAME, MODE, MTIME, NAME, RECORD_SIZE, SIZE, UID, UNAME, type Field } from "../src/tar/constants.ts";
import { fsDecode } from "../src/py/fsname.ts";
import { comparePaths } from "../src/store/walk.ts";
import { LAYER_GOLDEN_DIR, readLayerManifest } from "./support/golden-layers.ts";

const manifest = readLayerManifest();

function golden(name: string, python = "3.11"): Buffer {
  const file = (manifest[name] as Record<string, string> | undefined)?.[python];
  assert.ok(file, `golden ${name} for ${python}`);
  return readFileSync(join(LAYER_GOLDEN_DIR, file));
}

interface Member extends TarMember {
  readonly path: string;
  field(field: Field): Buffer;
  text(field: Field): string;
  pax(keyword: string): string | undefined;
}

function members(archive: Buffer): Member[] {
  return parseTarLayout(archive).members.map((m) => ({
    ...m,
    path: fsDecode(m.name),
    field: (f: Field) => archive.subarray(m.headerOffset + f.offset, m.headerOffset + f.offset + f.size),
    text: (f: Field) => archive.subarray(m.headerOffset + f.offset, m.headerOffset + f.offset + f.size).toString("latin1"),
    pax: (k: string) => {
      const record = m.paxRecords.find((r) => r.keyword === k);
      return record === undefined ? undefined : fsDecode(record.value);
    },
  }));
}

function find(list: Member[], predicate: (m: Member) => boolean, what: string): Member {
  const found = list.find(predicate);
  assert.ok(found, `no member ${what}`);
  return found;
}

describe("TRAPS.md: tar headers", () => {
  test("every archive ends with two zero blocks and is padded to a multiple of 10240", () => {
    for (const name of Object.keys(manifest).filter((n) => n !== "huge-sparse-file")) {
      const archive = golden(name);
      const { trailerOffset } = parseTarLayout(archive);
      assert.equal(archive.length % RECORD_SIZE, 0, name);
      assert.ok(archive.length - trailerOffset >= 1024, name);
      assert.ok(archive.subarray(trailerOffset).every((b) => b === 0), name);
    }
  });

  test("numbers are zero-padded octal + NUL; checksum is %06o, NUL, space", () => {
    const [nix] = members(golden("basic"));
    assert.equal(nix!.text(MODE), "0000555\0");
    assert.equal(nix!.text(UID), "0000000\0");
    assert.equal(nix!.text(SIZE), "00000000000\0");
    assert.equal(nix!.text(MTIME), (1700000000).toString(8).padStart(11, "0") + "\0");
    assert.match(nix!.text(CHKSUM), /^[0-7]{6}\0 $/);
  });

  test("mode keeps setuid/setgid/sticky (mode & 0o7777); symlinks are 0777", () => {
    const list = members(golden("modes"));
    assert.equal(find(list, (m) => m.path.endsWith("/setuid"), "setuid").text(MODE), "0004755\0");
    assert.equal(find(list, (m) => m.path.endsWith("/all-special"), "7777").text(MODE), "0007777\0");
    assert.equal(find(list, (m) => m.path.endsWith("/sticky-dir/"), "sticky").text(MODE), "0001777\0");
    assert.equal(find(list, (m) => m.path.endsWith("/no-permissions"), "0000").text(MODE), "0000000\0");
    const link = find(members(golden("symlinks")), (m) => m.path.endsWith("/dangling"), "symlink");
    assert.equal(link.text(MODE), "0000777\0");
  });

  test("a directory's trailing / counts: a 99-char directory fits, a 100-char one needs PAX", () => {
    const list = members(golden("name-lengths"));
    const dir99 = find(list, (m) => m.path.endsWith("jj/"), "99-char dir");
    assert.equal(dir99.path.length, 100);
    assert.equal(dir99.paxRecords.length, 0);
    const dir100 = find(list, (m) => m.path.endsWith("kk/"), "100-char dir");
    assert.equal(dir100.path.length, 101);
    assert.equal(dir100.pax("path"), dir100.path);
  });

  test("names of 99 and 100 characters fit the field (100 without NUL); 101 needs a path record", () => {
    const list = members(golden("name-lengths"));
    const f99 = find(list, (m) => m.path.endsWith("ff"), "99-char file");
    assert.equal(f99.path.length, 99);
    assert.equal(f99.paxRecords.length, 0);
    const f100 = find(list, (m) => m.path.endsWith("gg"), "100-char file");
    assert.equal(f100.path.length, 100);
    assert.equal(f100.paxRecords.length, 0);
    assert.equal(f100.field(NAME).indexOf(0), -1, "a full name field has no NUL");
    const f101 = find(list, (m) => m.path.endsWith("hh"), "101-char file");
    assert.equal(f101.pax("path")!.length, 101);
    assert.equal(f101.text(NAME), f101.pax("path")!.slice(0, 100), "ustar field holds the truncated name");
  });

  test("non-ASCII: PAX path in UTF-8; ustar field gets one ? per code point, cut to the width", () => {
    const list = members(golden("non-ascii-names"));
    const cafe = find(list, (m) => m.pax("path")?.endsWith("/café") === true, "café");
    assert.ok(cafe.text(NAME).startsWith(cafe.pax("path")!.replace("é", "?")));
    const emoji = find(list, (m) => m.pax("path")?.includes("😀") === true, "emoji");
    assert.ok(emoji.text(NAME).includes("emoji-?-astral"), "one ? for an astral code point");
    const long = find(list, (m) => m.pax("path")?.endsWith("é".repeat(120)) === true, "120 é");
    assert.equal(long.field(NAME).indexOf(0), -1);
    const replaced = [...long.pax("path")!].map((c) => (c.charCodeAt(0) < 0x80 ? c : "?")).join("");
    assert.ok(replaced.length > 100);
    assert.equal(long.text(NAME), replaced.slice(0, 100));
  });

  test("PAX record lengths count their own digits (99 -> 101 and 999 -> 1001: 100 and 1000 cannot occur)", () => {
    const lengths = ["non-ascii-names", "name-lengths"].flatMap((n) => members(golden(n)).flatMap((m) => m.paxRecords.map((r) => r.end - r.start)));
    const seen = `record lengths seen: ${[...new Set(lengths)].sort((a, b) => a - b).join(",")}`;
    for (const expected of [99, 101, 999, 1001]) assert.ok(lengths.includes(expected), `${expected}; ${seen}`);
    for (const m of members(golden("all-small-trees"))) {
      for (const r of m.paxRecords) {
        const text = readFileSync(join(LAYER_GOLDEN_DIR, (manifest["all-small-trees"] as Record<string, string>)["3.11"]!)).subarray(r.start, r.end);
        assert.equal(Number(text.subarray(0, text.indexOf(0x20)).toString()), text.length);
      }
    }
  });

  test("undecodable bytes: hdrcharset=BINARY first, raw bytes in every value, records in tarfile's order", () => {
    const archive = golden("non-utf8-names");
    const list = members(archive);
    const raw = find(list, (m) => m.path.endsWith("\udcff\udcfe"), "raw name");
    assert.deepEqual(raw.paxRecords.map((r) => r.keyword), ["hdrcharset", "path"]);
    assert.deepEqual(raw.paxRecords[1]!.value.subarray(-2), Buffer.from([0xff, 0xfe]));
    const link = find(list, (m) => m.path.includes("long-name-raw-target"), "long name + raw target");
    assert.deepEqual(link.paxRecords.map((r) => r.keyword), ["hdrcharset", "path", "linkpath"]);
    assert.deepEqual(link.paxRecords[2]!.value, Buffer.from([0x80]));
  });

  test("link targets of 100 fit, 101 need linkpath", () => {
    const list = members(golden("symlinks"));
    assert.equal(find(list, (m) => m.path.endsWith("/target-100"), "100").paxRecords.length, 0);
    assert.equal(find(list, (m) => m.path.endsWith("/target-101"), "101").pax("linkpath")?.length, 101);
  });

  test("negative mtime and mtime >= 8**11 go to a PAX record and the field holds 0; 8**11-1 fits", () => {
    const [negative] = members(golden("mtime-negative"));
    assert.equal(negative!.pax("mtime"), "-1");
    assert.equal(negative!.text(MTIME), "00000000000\0");
    const [big] = members(golden("mtime-8-pow-11"));
    assert.equal(big!.pax("mtime"), String(8 ** 11));
    assert.equal(big!.text(MTIME), "00000000000\0");
    const [largest] = members(golden("mtime-largest-octal"));
    assert.equal(largest!.paxRecords.length, 0);
    assert.equal(largest!.text(MTIME), "77777777777\0");
    const [huge] = members(golden("mtime-beyond-double"));
    assert.equal(huge!.pax("mtime"), "123456789012345678901234567890");
  });

  test("PAX headers are ././@PaxHeader with zero mode/uid/gid/mtime and empty uname/gname", () => {
    const archive = golden("mtime-negative");
    const [first] = parseTarLayout(archive).members;
    const pax = archive.subarray(first!.paxHeaderOffset!, first!.paxHeaderOffset! + 512);
    assert.equal(pax.subarray(0, 15).toString("latin1"), "././@PaxHeader\0");
    assert.equal(pax.subarray(MODE.offset, MODE.offset + 8).toString("latin1"), "0000000\0");
    assert.equal(pax.subarray(MTIME.offset, MTIME.offset + 12).toString("latin1"), "00000000000\0");
    assert.ok(pax.subarray(UNAME.offset, GNAME.offset + GNAME.size).every((b) => b === 0));
  });

  test("devmajor/devminor: 3.8 writes octal zeros in every header, 3.9+ only for devices", () => {
    const new38 = members(golden("special-files", "3.8"));
    const new311 = members(golden("special-files", "3.11"));
    const fifo38 = find(new38, (m) => m.path.endsWith("/fifo"), "fifo");
    const fifo311 = find(new311, (m) => m.path.endsWith("/fifo"), "fifo");
    assert.equal(fifo38.text(DEVMAJOR), "0000000\0");
    assert.equal(fifo311.text(DEVMAJOR), "\0".repeat(8));
    const dev = find(new311, (m) => m.path.endsWith("/big-numbers"), "char device");
    assert.equal(dev.text(DEVMAJOR), (300).toString(8).padStart(7, "0") + "\0");
    assert.equal(dev.text(DEVMINOR), (70000).toString(8).padStart(7, "0") + "\0");
  });
});

describe("TRAPS.md: walking a store path", () => {
  test("/nix and /nix/store come first as 0555 directories; uid/gid 0, root/root everywhere", () => {
    const list = members(golden("all-small-trees"));
    assert.deepEqual(list.slice(0, 2).map((m) => [m.path, m.text(MODE)]), [
      ["/nix/", "0000555\0"],
      ["/nix/store/", "0000555\0"],
    ]);
    for (const m of list) {
      assert.equal(m.text(UID), "0000000\0");
      assert.equal(m.text(UNAME), "root" + "\0".repeat(28));
      assert.equal(m.text(GNAME), "root" + "\0".repeat(28));
    }
  });

  test("order is component-wise by code point: a/b before a-b, U+E000 before U+1F600, \\udcff between U+D7FF and U+E000", () => {
    const names = members(golden("sort-order")).slice(3).map((m) => m.path.split("/").slice(4).join("/").replace(/\/$/, ""));
    const position = (n: string) => {
      const i = names.indexOf(n);
      assert.notEqual(i, -1, n);
      return i;
    };
    assert.ok(position("a/b/c") < position("a-b"));
    assert.ok(position("\ue000") < position("😀"));
    assert.ok(position("\ud7ff") < position("\udcff") && position("\udcff") < position("\ue000"));
    assert.deepEqual(names, [...names].sort(comparePaths));
  });

  test("dotfiles are included; a symlink is listed but never descended", () => {
    const basic = members(golden("basic")).map((m) => m.path);
    assert.ok(basic.some((p) => p.endsWith("/.hidden")) && basic.some((p) => p.endsWith("/.dotdir/inside")));
    const links = members(golden("symlinks")).map((m) => m.path);
    assert.ok(links.some((p) => p.endsWith("/to-dir")));
    assert.ok(!links.some((p) => p.includes("/to-dir/")));
  });

  test("a store path that is a symlink to a directory: the link, then the contents under its name", () => {
    const list = members(golden("store-path-is-a-symlink-to-a-dir"));
    assert.equal(list[2]!.type, 0x32);
    assert.ok(list.length > 5 && list.slice(3).every((m) => m.path.startsWith(list[2]!.path + "/")));
  });

  test("a store path that is a regular file (or a symlink to one) is that single member", () => {
    assert.equal(members(golden("store-path-is-a-file")).length, 3);
    assert.equal(members(golden("store-path-is-a-symlink-to-a-file")).length, 3);
  });

  test("hard links are regular files with their full content, every time", () => {
    const list = members(golden("hardlinks")).filter((m) => m.type === 0x30);
    const shared = list.filter((m) => m.dataSize === "shared inode\n".length);
    assert.equal(shared.length, 4);
  });

  test("FIFOs are type 6, char/block devices 3/4, empty directories are kept", () => {
    const list = members(golden("special-files"));
    assert.equal(find(list, (m) => m.path.endsWith("/fifo"), "fifo").type, 0x36);
    assert.equal(find(list, (m) => m.path.endsWith("/null-like"), "char").type, 0x33);
    assert.equal(find(list, (m) => m.path.endsWith("/disk-like"), "block").type, 0x34);
    assert.equal(find(list, (m) => m.path.endsWith("/empty/"), "empty dir").type, 0x35);
  });
});
