/**
 * `verify`: identical on every reference image, and on deliberately altered
 * ones names the exact outer entry, inner entry and field (each alteration
 * keeps the tar well-formed, see support/tar-edit.ts).
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { verifyImage, type VerifyResult } from "../src/audit/verify.ts";
import { formatVerifyResult } from "../src/audit/format.ts";
import { MODE, MTIME } from "../src/tar/constants.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { skipIfUnavailable, type FixtureStore } from "./support/fixture-store.ts";
import { confOf, goldenAuditCases, goldenStore, withTz, type AuditCase } from "./support/audit-cases.ts";
import { innerMember, memberName, outerMember, withConfigKeysReordered, withContentByteFlipped, withHeaderField, withMembersSwapped, withPaxValue } from "./support/tar-edit.ts";
import { runOurCli } from "./support/reference.ts";

const cases = goldenAuditCases();
function goldenCase(name: string, python: PythonVersion): AuditCase {
  const found = cases.find((c) => c.name === name && c.python === python);
  assert.ok(found, `golden case ${name} ${python}`);
  return found;
}

describe("verify", () => {
  let store: FixtureStore;
  before(() => {
    store = goldenStore("audit-verify");
  });
  after(() => store.remove());

  /** Skips `t` (saying why) when the store lacks entries these paths need here (owners need root). */
  const cannotRun = (t: TestContext, paths: readonly string[]): boolean => skipIfUnavailable(t, store, paths);

  /** Verifies `image` (bytes, fed in small chunks to exercise chunk boundaries) against the case's conf. */
  async function verifyBytes(auditCase: AuditCase, image: Buffer, python: PythonVersion, otherOracles = true): Promise<VerifyResult> {
    const chunks = function* () {
      for (let i = 0; i < image.length; i += 777) yield image.subarray(i, i + 777);
    };
    return withTz(auditCase.tz, () =>
      verifyImage((v) => confOf(auditCase, v), Readable.from(chunks()), { python, root: store.root, otherOracles }),
    );
  }

  for (const auditCase of cases) {
    test(`identical: ${auditCase.name} (python ${auditCase.python})`, async (t) => {
      if (cannotRun(t, auditCase.paths)) return;
      const result = await withTz(auditCase.tz, () =>
        verifyImage(confOf(auditCase, auditCase.python), createReadStream(auditCase.image), { python: auditCase.python, root: store.root }),
      );
      assert.equal(result.difference, undefined, result.difference && formatVerifyResult(result, auditCase.image, auditCase.name));
      assert.equal(result.identical, true);
    });
  }

  describe("altered images", () => {
    const tricky = goldenCase("tricky-config", "3.13");
    const golden = readFileSync(tricky.image);
    const layer0 = outerMember(golden, 0);
    const hello = innerMember(golden, 0, 7);
    const layerLabel = `layer 0 ${JSON.stringify(memberName(layer0))}`;
    const helloLabel = `inner entry 7 ${JSON.stringify(memberName(hello))}`;

    test("the chosen entries are the ones the tests mean", () => {
      assert.match(memberName(hello), /-basic\/bin\/hello$/);
      assert.match(memberName(innerMember(golden, 0, 4)), /\/\.dotdir\/inside$/);
      assert.match(memberName(innerMember(golden, 0, 5)), /\/\.hidden$/);
    });

    test("one byte of content", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const result = await verifyBytes(tricky, withContentByteFlipped(golden, hello, 5), "3.13");
      const d = result.difference!;
      assert.deepEqual([d.outer, d.inner, d.field], [layerLabel, helloLabel, "content at offset 5"]);
      assert.equal(d.offset, hello.base + hello.member.dataOffset + 5);
      // Names unchanged: IMAGE claims the digests CONF gives, so it was altered after it was written.
      assert.equal(result.imageConfig, outerMember(golden, 3).member.name.toString());
      assert.match(formatVerifyResult(result, "img.tar", "conf.json"), /altered after it was written/);
    });

    test("a mode", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const d = (await verifyBytes(tricky, withHeaderField(golden, hello, MODE, "0000700"), "3.13")).difference!;
      assert.deepEqual([d.outer, d.inner, d.field], [layerLabel, helloLabel, "header field mode"]);
      assert.equal(d.expected, '"0000555" + 1 NUL (0o555)');
      assert.equal(d.found, '"0000700" + 1 NUL (0o700)');
    });

    test("an mtime", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const hidden = innerMember(golden, 0, 5);
      const d = (await verifyBytes(tricky, withHeaderField(golden, hidden, MTIME, "00000000001"), "3.13")).difference!;
      assert.deepEqual([d.outer, d.inner, d.field], [layerLabel, `inner entry 5 ${JSON.stringify(memberName(hidden))}`, "header field mtime"]);
      assert.match(d.expected, /\(1709296496 = 2024-03-01T12:34:56Z\)$/);
      assert.match(d.found, /\(1 = 1970-01-01T00:00:01Z\)$/);
    });

    test("a PAX record", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const year9999 = goldenCase("year-9999", "3.13");
      const image = readFileSync(year9999.image);
      const entry = innerMember(image, 0, 2);
      const mtime = entry.member.paxRecords.find((r) => r.keyword === "mtime")!.value.toString();
      const altered = withPaxValue(image, entry, "mtime", mtime.replace(/^2/, "1"));
      const d = (await verifyBytes(year9999, altered, "3.13")).difference!;
      assert.deepEqual(
        [d.outer, d.inner, d.field],
        [`layer 0 ${JSON.stringify(memberName(outerMember(image, 0)))}`, `inner entry 2 ${JSON.stringify(memberName(entry))}`, "PAX record mtime"],
      );
      assert.equal(d.expected, JSON.stringify(mtime));
      assert.equal(d.found, JSON.stringify(mtime.replace(/^2/, "1")));
    });

    test("entry order", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const inside = innerMember(golden, 0, 4);
      const d = (await verifyBytes(tricky, withMembersSwapped(golden, inside, innerMember(golden, 0, 5)), "3.13")).difference!;
      assert.deepEqual([d.outer, d.inner, d.field], [layerLabel, `inner entry 4 ${JSON.stringify(memberName(inside))}`, "header field name"]);
      assert.match(d.found, /\/\.hidden"/);
    });

    test("JSON key order in the config", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const d = (await verifyBytes(tricky, withConfigKeysReordered(golden, 3, ["rootfs"], ["type", "diff_ids"]), "3.13")).difference!;
      assert.deepEqual([d.outer, d.inner, d.field], [`config ${JSON.stringify(memberName(outerMember(golden, 3)))}`, undefined, "JSON rootfs: key order differs"]);
      assert.equal(d.expected, '["diff_ids", "type"]');
      assert.equal(d.found, '["type", "diff_ids"]');
    });

    test("a 3.8 image verified as 3.13 names 3.8", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const result = await verifyBytes(tricky, readFileSync(goldenCase("tricky-config", "3.8").image), "3.13");
      const d = result.difference!;
      assert.equal(d.field, "header field devmajor");
      assert.match(d.outer, /^layer 0 "[0-9a-f]{64}\/layer\.tar"$/);
      assert.deepEqual(result.matchingProfiles, ["3.8"]);
      assert.match(formatVerifyResult(result, "img.tar", "conf.json"), /^oracles: img\.tar matches what --generation 2020 --python 3\.8 produces \(config [0-9a-f]{64}\.json\)$/m);
    });

    test("a shorter image", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const cut = hello.base + hello.member.dataOffset + 3;
      const d = (await verifyBytes(tricky, golden.subarray(0, cut), "3.13", false)).difference!;
      assert.deepEqual([d.outer, d.inner, d.field, d.found], [layerLabel, helloLabel, "content: length", `IMAGE ends at byte ${cut}`]);
    });

    test("a longer image", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const d = (await verifyBytes(tricky, Buffer.concat([golden, Buffer.from("extra")]), "3.13", false)).difference!;
      assert.deepEqual([d.outer, d.inner, d.field], ["end of archive", undefined, "end-of-archive blocks and padding: length"]);
      assert.equal(d.offset, golden.length);
    });

    test("not a tar at all", async (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const d = (await verifyBytes(tricky, Buffer.alloc(2048, 0x41), "3.13", false)).difference!;
      assert.equal(d.field, "tar header");
      assert.match(d.found, /^malformed: size field is not octal/);
    });
  });

  describe("command line", () => {
    const tricky = goldenCase("tricky-config", "3.13");
    let confPath: string;
    before(() => {
      confPath = join(store.root, "verify-cli.json");
      writeFileSync(confPath, tricky.confText);
    });

    test("exit 0 on the reference's image, read from a file", (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const result = runOurCli(["verify", "--root", store.root, confPath, tricky.image], tricky.tz);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout.toString(), /^identical: /);
    });

    test("exit 1 with the report when IMAGE on stdin differs", (t) => {
      if (cannotRun(t, tricky.paths)) return;
      const image = readFileSync(tricky.image);
      const altered = withHeaderField(image, innerMember(image, 0, 7), MODE, "0000700");
      const env = { ...process.env, TZ: tricky.tz ?? "" };
      const { spawnSync } = process.getBuiltinModule("node:child_process") as typeof import("node:child_process");
      const result = spawnSync(process.execPath, [join(process.cwd(), "dist", "cli.js"), "verify", "--root", store.root, confPath, "-"], { input: altered, env });
      assert.equal(result.status, 1, result.stderr.toString());
      const report = result.stdout.toString();
      assert.match(report, /^differs: stdin is not what .* produces with --generation 2020 --python 3\.13/);
      assert.match(report, /^  inside: {3}inner entry 7 ".*\/bin\/hello"$/m);
      assert.match(report, /^  what: {5}header field mode$/m);
    });

    test("exit 2 when IMAGE cannot be read", () => {
      const result = runOurCli(["verify", "--root", store.root, confPath, "/nonexistent.tar"], tricky.tz);
      assert.equal(result.status, 2);
      assert.equal(result.stderr, 'stream-layered-image: Cannot read image "/nonexistent.tar": ENOENT\n');
    });

    test("exit 2 on usage errors", () => {
      const result = runOurCli(["verify", confPath], tricky.tz);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /^stream-layered-image: verify: expected CONF and IMAGE arguments, got 1/);
    });
  });
});
