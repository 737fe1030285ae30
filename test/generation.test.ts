/**
 * Which script generation a conf gets: detected from its keys, chosen with
 * --generation, named by digest and --help; a conf with some of the current
 * keys is refused, never written with another generation's bytes.  Also the
 * points of the current script that goldens cannot pin: "now" in created and
 * mtime is one instant, and Python's int() on uid/gid.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { validateConf } from "../src/conf/validate.ts";
import { parseConfText, ConfError } from "../src/conf/read.ts";
import { prepareImage } from "../src/image/image.ts";
import { CURRENT_KEYS, generationRules } from "../src/profile/generation.ts";
import { layerStyle } from "../src/layer/layer-walk.ts";
import { detectGeneration } from "../src/conf/generation.ts";
import { pythonInt } from "../src/py/int.ts";
import { verifyImage } from "../src/audit/verify.ts";
import { Readable } from "node:stream";
import { parseTarLayout } from "../src/tar/inspect.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { runOurCli } from "./support/reference.ts";
import { storePath } from "./fixtures/layer-fixtures.ts";

const hello = storePath(60, "hello");
const custom = storePath(61, "customisation");
const EMPTY_TAR_SHA256 = "84ff92691f909a05b224e1c56abb4864f01b4f8e3c854e4bb4c7baf1d3f6d652";

const CURRENT = {
  mtime: "2024-01-01T00:00:00+00:00",
  uid: 1000,
  gid: 100,
  uname: "user",
  gname: "users",
  store_dir: "/nix/store",
  from_image: null,
};

function confText(extra: Record<string, unknown>, created = "2024-03-01T12:34:56+00:00"): string {
  return JSON.stringify({
    architecture: "amd64",
    config: {},
    created,
    repo_tag: "hello:latest",
    store_layers: [[hello]],
    customisation_layer: custom,
    ...extra,
  });
}

const conf = (text: string, options: Parameters<typeof validateConf>[2] = {}) => validateConf(parseConfText(text, "conf.json", "3.13"), "conf.json", options);

describe("generations", () => {
  let store: FixtureStore;
  before(() => {
    store = makeFixtureStore(
      [
        { path: `${hello}/bin/hello`, type: "file", mode: "0555", text: "hello\n" },
        { path: `${custom}/layer.tar`, type: "file", mode: "0444", repeat: { text: "\0", count: 10240 } },
        { path: `${custom}/checksum`, type: "file", text: EMPTY_TAR_SHA256 },
      ],
      "generation",
    );
  });
  after(() => store.remove());

  test("no current key: the 2020 script; all of them: the current one", () => {
    assert.equal(conf(confText({})).generation, "2020");
    assert.equal(conf(confText(CURRENT)).generation, "current");
  });

  test("some of the current keys: refused, naming the missing keys and --generation", () => {
    for (const present of [["store_dir"], ["store_dir", "from_image"], CURRENT_KEYS.filter((k) => k !== "gname")]) {
      const extra = Object.fromEntries(present.map((k) => [k, CURRENT[k as keyof typeof CURRENT]]));
      assert.throws(
        () => conf(confText(extra)),
        (error: Error) => {
          assert.ok(error instanceof ConfError);
          for (const key of CURRENT_KEYS.filter((k) => !present.includes(k))) assert.ok(error.message.includes(`"${key}"`), `${error.message} names ${key}`);
          assert.match(error.message, /--generation 2020 or --generation current/);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    }
    assert.equal(detectGeneration(() => false, "x", (m) => new ConfError(m)), "2020");
  });

  test("--generation overrides the detection: a current conf read as 2020 ignores the new keys", () => {
    const text = confText(CURRENT);
    const old = prepareImage(conf(text, { generation: "2020" }), { root: store.root });
    const plain = prepareImage(conf(confText({})), { root: store.root });
    assert.equal(old.configName, plain.configName, "the 2020 script never reads the new keys");
    const current = prepareImage(conf(text), { root: store.root });
    assert.notEqual(current.configName, plain.configName);
    assert.throws(() => conf(confText({}), { generation: "current" }), /missing key "mtime"/);
    assert.throws(() => conf(confText({}), { repoTag: "x:y" }), /--repo_tag exists only in the current script/);
  });

  test("current: -t replaces repo_tag, an empty one falls back, and with one the key may be missing", () => {
    const tags = (c: ReturnType<typeof conf>) => JSON.parse(prepareImage(c, { root: store.root }).manifestBytes.toString())[0].RepoTags;
    assert.deepEqual(tags(conf(confText(CURRENT), { repoTag: "other:1" })), ["other:1"]);
    assert.deepEqual(tags(conf(confText(CURRENT), { repoTag: "" })), ["hello:latest"]);
    const { repo_tag: _, ...withoutTag } = JSON.parse(confText(CURRENT)) as Record<string, unknown>;
    assert.deepEqual(tags(conf(JSON.stringify(withoutTag), { repoTag: "t:2" })), ["t:2"]);
    assert.throws(() => conf(JSON.stringify(withoutTag)), /missing key "repo_tag"/);
  });

  test("an ImageConf of a generation that reads the current keys, without them, is refused, not written with another generation's values", () => {
    const lacking = { ...conf(confText(CURRENT)), current: undefined };
    assert.throws(() => prepareImage(lacking, { root: store.root }), (error: Error) => error instanceof TypeError && /reads store_dir, from_image, mtime/.test(error.message));
    assert.throws(() => layerStyle(generationRules("current")), /owned by the conf's uid, gid, uname and gname/);
    const owner = { uid: 7, gid: 8, uname: "u", gname: "g" };
    assert.deepEqual(layerStyle(generationRules("current"), owner).owner, owner);
    assert.notDeepEqual(layerStyle(generationRules("2020"), owner).owner, owner, "the 2020 script fixes the owner");
  });

  test('current: "now" in created and in mtime is one instant', () => {
    const now = () => 1_700_000_000_123_456n;
    const image = prepareImage(conf(confText({ ...CURRENT, mtime: "now" }, "now")), { root: store.root, now });
    const config = JSON.parse(image.configBytes.toString()) as { created: string };
    assert.equal(config.created, "2023-11-14T22:13:20.123456+00:00");
    assert.equal(image.mtime, 1_700_000_000n, "int(timestamp()) of the same instant");
  });

  test("current: members owned as the conf says, /nix and /nix/store 0755", () => {
    const image = prepareImage(conf(confText(CURRENT)), { root: store.root });
    const bytes = Buffer.concat([...image.chunks()]);
    const outer = parseTarLayout(bytes).members[0]!;
    const inner = parseTarLayout(bytes.subarray(outer.dataOffset, outer.dataOffset + outer.dataSize)).members;
    const first = bytes.subarray(outer.dataOffset, outer.dataOffset + 512);
    assert.equal(first.subarray(100, 107).toString(), "0000755", "/nix's mode");
    assert.equal(first.subarray(265, 269).toString(), "user");
    assert.equal(first.subarray(108, 115).toString(), "0001750", "uid 1000");
    assert.ok(inner.length >= 4);
  });

  test("verify searches generation x CPython: a current conf's 3.8 image is named, the 2020 reading rejects nothing but differs", async () => {
    const text = confText(CURRENT);
    const image = Buffer.concat([...prepareImage(conf(text), { root: store.root, python: "3.8" }).chunks()]);
    const confFor = (python: "3.8" | "3.9" | "3.10" | "3.11" | "3.12" | "3.13", generation?: "2020" | "current") =>
      validateConf(parseConfText(text, "conf.json", python), "conf.json", { generation, python });
    const result = await verifyImage(confFor, Readable.from([image]), { root: store.root, python: "3.13" });
    assert.equal(result.identical, false);
    assert.equal(result.generation, "current");
    assert.equal(result.matchingGeneration, "current");
    assert.deepEqual(result.matchingProfiles, ["3.8"]);
    const generations = new Set(result.oracles?.map((o) => o.generation));
    assert.deepEqual([...generations].sort(), ["2020", "current"], "both generations searched");
  });

  test("the CLI: --help names --generation and -t; digest names the generation; a bad --generation is a usage error", () => {
    const help = runOurCli(["--help"], "UTC").stdout.toString();
    assert.match(help, /--generation GEN/);
    assert.match(help, /-t, --repo_tag TAG/);
    const confPath = join(store.root, "current.json");
    writeFileSync(confPath, confText(CURRENT));
    const digest = runOurCli(["digest", "--root", store.root, confPath], "UTC");
    assert.equal(digest.status, 0, digest.stderr);
    assert.equal((JSON.parse(digest.stdout.toString()) as { generation: string }).generation, "current");
    const bad = runOurCli(["--generation", "2021", confPath], "UTC");
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'stream-layered-image: --generation must be one of 2020, current, not "2021"\n');
  });
});

describe("int() on uid and gid", () => {
  const accepted: [unknown, bigint][] = [
    [true, 1n], [false, 0n], [1.9, 1n], [-1.9, -1n], [1e20, 100000000000000000000n], [" 42\n", 42n], ["+7", 7n], ["-0", 0n],
    ["1_000", 1000n], ["007", 7n], ["\u0661\u0662", 12n], ["\uff17", 7n], ["\u00a05\u3000", 5n], ["\t\v\f\r 9", 9n],
  ];
  for (const [value, expected] of accepted) {
    test(`int(${JSON.stringify(value)}) is ${expected}`, () => assert.equal(pythonInt(value as never, "3.13"), expected));
  }
  const refused: [unknown, string][] = [
    ["12a", "ValueError"], ["1_", "ValueError"], ["_1", "ValueError"], ["1__0", "ValueError"], ["- 5", "ValueError"], ["", "ValueError"],
    ["\u001c5", "ValueError"], ["0x10", "ValueError"], ["1".repeat(4301), "ValueError"], [NaN, "ValueError"], [Infinity, "OverflowError"],
    [null, "TypeError"], [[1], "TypeError"],
  ];
  for (const [value, type] of refused) {
    test(`int(${JSON.stringify(value)?.slice(0, 20)}) raises ${type}`, () =>
      assert.throws(() => pythonInt(value as never, "3.13"), (error: Error & { pythonType?: string }) => error.pythonType === type));
  }
  test("digits per interpreter: U+1E4F0 (Nag Mundari, Unicode 15) is a digit for 3.12, not 3.8", () => {
    assert.equal(pythonInt("\u{1e4f1}", "3.12"), 1n);
    assert.throws(() => pythonInt("\u{1e4f1}", "3.8"), /invalid literal/);
  });
});
