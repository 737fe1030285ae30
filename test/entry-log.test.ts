/**
 * EntryLog keeps the hash pass's members in a compact byte stream; the
 * stream pass must find every record exactly as it went in, and name what
 * changed.  (faults.test.ts checks the same through the CLI with real files.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryLog, LayerChangedError } from "../src/passes/entry-log.ts";
import type { EntryRecord } from "../src/layer/layer.ts";

const NAMES = [
  "/nix/store/aaa-x",
  "/nix/store/aaa-x/bin",
  "/nix/store/aaa-x/bin/café",
  "/nix/store/aaa-x/bin/日本",
  "/nix/store/aaa-x/bin/日本/😀",
  "/nix/store/aaa-x/lone-\udcff-\udc80",
  "/nix/store/aaa-x/lone-\udcff-\udc80/ÿ",
  "/nix/store/aaa-x/" + "long".repeat(300),
  "/nix/store/aaa-y",
];

function records(): EntryRecord[] {
  return NAMES.map((name, i) => ({
    name,
    // Sizes past 2^32 and up to 2^53 - 1 go through the varint's non-bitwise path.
    size: [0, 1, 127, 128, 300, 2 ** 32 + 5, 2 ** 53 - 1, 4096, 16384][i]!,
    crc: (0x9e3779b9 * (i + 1)) >>> 0,
    ctimeMs: 1700000000123.4567 + i,
    inode: 2 ** 40 + i,
  }));
}

function logOf(all: EntryRecord[]): EntryLog {
  const log = new EntryLog();
  for (const record of all) log.push(record);
  return log;
}

function changedMessage(all: EntryRecord[], stream: EntryRecord[]): string {
  const log = logOf(all);
  try {
    for (const record of stream) log.check(3, record);
    log.checkComplete(3);
  } catch (error) {
    assert.ok(error instanceof LayerChangedError);
    return error.message;
  }
  return "no change found";
}

test("every record comes back as it went in", () => {
  const all = records();
  const log = logOf(all);
  assert.equal(log.length, all.length);
  for (const record of all) log.check(0, record);
  log.checkComplete(0);
});

test("a thousand members cost far less than their names and numbers in full", () => {
  const log = new EntryLog();
  for (let i = 0; i < 1000; i++) {
    log.push({ name: `/nix/store/r6k0ds7l1fv8m2gw9n3hxap4iybq5jzc-entries/d${Math.floor(i / 100)}/${i}`, size: i, crc: i, ctimeMs: 1.5e12 + i, inode: 1e6 + i });
  }
  // Read back through the private buffer's fill level: about 13 bytes a member.
  const used = (log as unknown as { log: { used: number } }).log.used;
  assert.ok(used < 16 * 1000, `${used} bytes for 1000 members`);
});

test("a size change names the member and both sizes", () => {
  const all = records();
  const stream = all.map((r, i) => (i === 5 ? { ...r, size: 7 } : r));
  assert.equal(changedMessage(all, stream), `Layer 3 changed between the hash pass and the stream pass: "/nix/store/aaa-x/lone-\\udcff-\\udc80" changed size from ${2 ** 32 + 5} to 7 bytes`);
});

for (const field of ["crc", "ctimeMs", "inode"] as const) {
  test(`a change of ${field} alone is noticed`, () => {
    const all = records();
    const stream = all.map((r, i) => (i === 2 ? { ...r, [field]: field === "crc" ? (r.crc ^ 1) >>> 0 : r[field] + 1 } : r));
    assert.equal(changedMessage(all, stream), `Layer 3 changed between the hash pass and the stream pass: "/nix/store/aaa-x/bin/café" changed (content or metadata)`);
  });
}

test("a member missing in the stream pass is named as removed", () => {
  const all = records();
  assert.match(changedMessage(all, all.filter((_, i) => i !== 4)), /"\/nix\/store\/aaa-x\/bin\/日本\/😀" was removed after the hash pass$/);
  assert.match(changedMessage(all, all.slice(0, -1)), /"\/nix\/store\/aaa-y" was removed after the hash pass$/);
});

test("a member new in the stream pass is named as appeared", () => {
  const all = records();
  const extra = { ...all[1]!, name: "/nix/store/aaa-x/bin/b-new" };
  assert.match(changedMessage(all, [...all.slice(0, 2), extra, ...all.slice(2)]), /"\/nix\/store\/aaa-x\/bin\/b-new" appeared after the hash pass$/);
  const last = { ...all[0]!, name: "/nix/store/zzz" };
  assert.match(changedMessage(all, [...all, last]), /"\/nix\/store\/zzz" appeared after the hash pass$/);
});
