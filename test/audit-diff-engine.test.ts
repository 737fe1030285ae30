/**
 * The diff engine (src/audit/image-diff.ts and its parts) on small images
 * built here: every kind of member and config difference, the ignore
 * options, layers not opened when their diff_ids agree, malformed layers,
 * the reports, and that pairing holds nothing when orders agree.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { diffExitCode, diffImages, SEMANTIC } from "../src/audit/image-diff.ts";
import { alignLayers } from "../src/audit/layer-alignment.ts";
import { DiffInputError } from "../src/audit/diff-errors.ts";
import { formatImageDiff } from "../src/audit/diff-report.ts";
import { formatImageDiffJson } from "../src/audit/diff-json.ts";
import type { DiffSide, LayerDiff } from "../src/audit/diff-types.ts";
import { bufferLayer, config, layerTar, memberHeader, sha256Id, side, type MemberSpec } from "./support/diff-layers.ts";

const BASE: readonly MemberSpec[] = [
  { name: "nix", type: "dir" },
  { name: "nix/store", type: "dir" },
  { name: "nix/store/abc-hello", type: "dir" },
  { name: "nix/store/abc-hello/bin", type: "dir" },
  { name: "nix/store/abc-hello/bin/hello", content: "#!/bin/sh\necho hello\n", mode: 0o755 },
  { name: "nix/store/abc-hello/share", type: "symlink", linkname: "../def-share" },
  { name: "nix/store/abc-hello/README", content: "x".repeat(1500) },
];

/** BASE with the member named `name` changed by `edit`. */
function edited(name: string, edit: Partial<MemberSpec>): MemberSpec[] {
  return BASE.map((member) => (member.name === name ? { ...member, ...edit } : member));
}

const HELLO = "nix/store/abc-hello/bin/hello";
const other = layerTar([{ name: "etc", type: "dir" }, { name: "etc/passwd", content: "root:x:0:0::/root:/bin/sh\n" }]);

async function diffOne(a: readonly MemberSpec[], b: readonly MemberSpec[], options = {}): Promise<{ layer: LayerDiff; same: boolean }> {
  const diff = await diffImages(side("A", [layerTar(a)]), side("B", [layerTar(b)]), options);
  return { layer: diff.layers[0]!, same: diff.same };
}

function fieldsOf(layer: LayerDiff, name: string): Record<string, unknown> {
  const change = layer.changed.find((c) => c.name === name);
  assert.ok(change, `${name} is changed`);
  return Object.fromEntries(change.fields);
}

describe("diff engine: members", () => {
  test("identical images: same, exit 0, nothing held", async () => {
    const diff = await diffImages(side("A", [other, layerTar(BASE)]), side("B", [other, layerTar(BASE)]));
    assert.equal(diff.same, true);
    assert.equal(diffExitCode(diff), 0);
    assert.deepEqual(diff.config, []);
    assert.deepEqual(diff.layers.map((l) => [l.status, l.opened, l.peakPending, l.members[0]]), [["same", true, 0, 2], ["same", true, 0, BASE.length]]);
    assert.equal(formatImageDiff(diff), "same: A and B (config and 2 layers)\n");
  });

  test("one content byte: content sha256 differs, size does not", async () => {
    const { layer, same } = await diffOne(BASE, edited(HELLO, { content: "#!/bin/sh\necho hellO\n" }));
    assert.equal(same, false);
    assert.equal(layer.status, "differs");
    assert.deepEqual(Object.keys(fieldsOf(layer, HELLO)), ["content"]);
    assert.equal(layer.changed.length, 1);
    assert.equal(layer.peakPending, 0);
  });

  test("mtime: a difference, gone with ignoreTimestamps (the layer is then equivalent)", async () => {
    const b = edited(HELLO, { mtime: 2 });
    const { layer } = await diffOne(BASE, b);
    assert.deepEqual(fieldsOf(layer, HELLO), { mtime: [1, 2] });
    const ignored = await diffOne(BASE, b, { ignoreTimestamps: true });
    assert.equal(ignored.same, true);
    assert.equal(ignored.layer.status, "equivalent");
    assert.notEqual(ignored.layer.diffIds[0], ignored.layer.diffIds[1]);
  });

  test("owners: uid, gid, uname, gname listed, gone with ignoreOwners", async () => {
    const b = edited(HELLO, { uid: 1000, gid: 100, uname: "me", gname: "users" });
    const { layer } = await diffOne(BASE, b);
    assert.deepEqual(fieldsOf(layer, HELLO), { uid: [0, 1000], gid: [0, 100], uname: ["root", "me"], gname: ["root", "users"] });
    assert.equal((await diffOne(BASE, b, { ignoreOwners: true })).same, true);
    assert.equal((await diffOne(BASE, b, { ignoreTimestamps: true })).same, false);
  });

  test("mode, size and content together; symlink target", async () => {
    const b = edited(HELLO, { mode: 0o700, content: "#!/bin/sh\necho hello!\n" }).map((m) => (m.type === "symlink" ? { ...m, linkname: "../xyz-share" } : m));
    const { layer } = await diffOne(BASE, b);
    const hello = fieldsOf(layer, HELLO);
    assert.deepEqual(Object.keys(hello), ["mode", "size", "content"]);
    assert.deepEqual(hello.mode, [0o755, 0o700]);
    assert.deepEqual(fieldsOf(layer, "nix/store/abc-hello/share"), { linkname: ["../def-share", "../xyz-share"] });
    const link = (target: string): MemberSpec[] => [...BASE, { name: "nix/store/abc-hello/hi", type: "hardlink", linkname: target }];
    const hard = (await diffOne(link(HELLO), link("nix/store/abc-hello/README"))).layer;
    assert.deepEqual(fieldsOf(hard, "nix/store/abc-hello/hi"), { linkname: [HELLO, "nix/store/abc-hello/README"] });
  });

  test("members added and removed, the rest paired across the shift", async () => {
    const b = [...BASE.slice(0, 2), { name: "nix/store/new", content: "n" }, ...BASE.slice(2).filter((m) => m.name !== HELLO)];
    const { layer } = await diffOne(BASE, b);
    assert.deepEqual(layer.added.map((m) => m.name), ["nix/store/new"]);
    assert.deepEqual(layer.removed.map((m) => m.name), [HELLO]);
    assert.deepEqual(layer.changed, []);
    assert.ok(layer.peakPending <= 2, `peak ${layer.peakPending}`);
    assert.deepEqual(layer.members, [BASE.length, BASE.length]);
  });

  test("order differs: no member differs, the layer is equivalent: a difference of its bytes without an ignore option, none with one", async () => {
    const { layer, same } = await diffOne(BASE, [...BASE].reverse());
    assert.equal(layer.status, "equivalent");
    assert.equal(same, false, "no leniency asked for: other bytes, another digest");
    assert.ok(layer.peakPending > 2);
    assert.equal((await diffOne(BASE, [...BASE].reverse(), { ignoreHistory: true })).same, true);
  });

  test("a PAX record that differs is named; one that is folded into a field is that field", async () => {
    const a = edited(HELLO, { pax: new Map([["comment", "one"]]) });
    const b = edited(HELLO, { pax: new Map([["comment", "two"]]) });
    assert.deepEqual(fieldsOf((await diffOne(a, b)).layer, HELLO), { "pax.comment": ["one", "two"] });
    const long = `nix/store/abc-hello/${"l".repeat(120)}`;
    const c = [...BASE, { name: long, content: "1" }];
    const d = [...BASE, { name: long, content: "1", mtime: 3 }];
    assert.deepEqual(fieldsOf((await diffOne(c, d)).layer, long), { mtime: [1, 3] });
    const atime = (value: string) => edited(HELLO, { pax: new Map([["atime", value]]) });
    assert.equal((await diffOne(atime("1.5"), atime("2.5"), { ignoreTimestamps: true })).same, true);
  });

  test("names spelt ./a and a pair, their spelling reported", async () => {
    const b = BASE.map((m) => ({ ...m, name: `./${m.name}` }));
    const { layer } = await diffOne(BASE, b);
    assert.equal(layer.changed.length, BASE.length);
    assert.deepEqual(fieldsOf(layer, HELLO), { name: [HELLO, `./${HELLO}`] });
    assert.deepEqual([layer.added, layer.removed], [[], []]);
  });
});

describe("diff engine: layers and config", () => {
  test("equal diff_ids: not opened", async () => {
    const tar = layerTar(BASE);
    const forbidden = (name: string): DiffSide => ({ name, configBytes: config([sha256Id(tar)]), layers: [bufferLayer(tar, { diffId: sha256Id(tar), forbidden: true })] });
    const diff = await diffImages(forbidden("A"), forbidden("B"));
    assert.equal(diff.same, true);
    assert.deepEqual([diff.layers[0]!.status, diff.layers[0]!.opened], ["same", false]);
  });

  test("layer count differs: the extra layer's members listed as added", async () => {
    const diff = await diffImages(side("A", [other], true), side("B", [other, layerTar(BASE)], true));
    assert.equal(diff.same, false);
    assert.deepEqual(diff.layerCounts, [1, 2]);
    const extra = diff.layers[1]!;
    assert.equal(extra.status, "added");
    assert.equal(extra.added.length, BASE.length);
    assert.deepEqual(diff.config.map((d) => [d.path, d.kind, d.layer]), [["rootfs.diff_ids[1]", "added", 1]]);
    assert.match(formatImageDiff(diff), /^differs: A and B \(layer count 1 → 2, 1 layer of 2 differs: 0 members changed, 7 added, 0 removed\)\n/);
  });

  test("every config difference is listed; timestamps and history can be ignored", async () => {
    const history = (created: string) => [{ created, created_by: "nix" }, { created, comment: "x" }];
    const a = side("A", [other], false, { config: { Env: ["PATH=/bin", "A=1"], User: "0" }, history: history("1970-01-01T00:00:01Z") });
    const b = side("B", [other], false, { created: "2024-01-01T00:00:00Z", config: { Env: ["PATH=/bin", "A=2", "B=3"], Cmd: ["sh"] }, history: history("2024-01-01T00:00:00Z").slice(0, 1) });
    const diff = await diffImages(a, b);
    assert.deepEqual(
      diff.config.map((d) => [d.path, d.kind, d.a, d.b]),
      [
        ["config.Env[1]", "changed", '"A=1"', '"A=2"'],
        ["config.Env[2]", "added", undefined, '"B=3"'],
        ["config.User", "removed", '"0"', undefined],
        ["config.Cmd", "added", undefined, '["sh"]'],
        ["created", "changed", '"1970-01-01T00:00:01Z"', '"2024-01-01T00:00:00Z"'],
        ["history[0].created", "changed", '"1970-01-01T00:00:01Z"', '"2024-01-01T00:00:00Z"'],
        ["history[1]", "removed", '{"created": "1970-01-01T00:00:01Z", "comment": "x"}', undefined],
      ],
    );
    const quiet = await diffImages(a, b, { ignoreTimestamps: true, ignoreHistory: true });
    assert.deepEqual(quiet.config.map((d) => d.path), ["config.Env[1]", "config.Env[2]", "config.User", "config.Cmd"]);
    const semantic = await diffImages(side("A", [other], false, { history: history("1") }), side("B", [other], false, { created: "2", history: [] }), SEMANTIC);
    assert.equal(semantic.same, true);
  });

  test("diff_ids in the config are the layer's to judge", async () => {
    const diff = await diffImages(side("A", [layerTar(BASE)]), side("B", [layerTar(edited(HELLO, { mtime: 5 }))]), { ignoreTimestamps: true });
    assert.deepEqual(diff.config.map((d) => [d.path, d.layer]), [["rootfs.diff_ids[0]", 0]]);
    assert.equal(diff.same, true);
  });

  test("a config diff_id the bytes do not hash to is noted", async () => {
    const tar = layerTar(BASE);
    const lying: DiffSide = { name: "B", configBytes: config([sha256Id(other)]), layers: [bufferLayer(tar, { diffId: sha256Id(other) })] };
    const diff = await diffImages(side("A", [tar]), lying);
    assert.equal(diff.layers[0]!.status, "same");
    assert.match(diff.layers[0]!.notes[0]!, /^B's config gives diff_id sha256:[0-9a-f]{64}, but the layer's bytes hash to sha256:/);
  });
});

describe("diff engine: inputs that cannot be compared", () => {
  test("a layer that is not a tar archive names the side and the layer", async () => {
    const garbage = Buffer.alloc(1024, 0x41);
    const bad: DiffSide = { name: "B", configBytes: config(["sha256:x"]), layers: [bufferLayer(garbage, { label: "layer 0 (blobs/sha256/ab)" })] };
    await assert.rejects(diffImages(side("A", [other]), bad), (error: unknown) => {
      assert.ok(error instanceof DiffInputError);
      assert.equal(error.side, "B");
      assert.equal(error.message, "cannot compare: layer 0 (blobs/sha256/ab) of B: not a valid tar archive: an invalid header at offset 0");
      return true;
    });
  });

  test("a layer cut inside a member's content", async () => {
    const cut = layerTar(BASE).subarray(0, 5 * 512 + 10);
    await assert.rejects(diffImages(side("A", [layerTar(BASE)]), side("B", [cut])), /of B: the tar archive ends inside the content of "nix\/store\/abc-hello\/bin\/hello"/);
  });

  test("a stream that fails, and a config that is not JSON", async () => {
    const failing: DiffSide = {
      name: "B",
      configBytes: config([]),
      layers: [{ diffId: undefined, label: "layer 0", open: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("connection reset")) }) }) }],
    };
    await assert.rejects(diffImages(side("A", [other]), failing), /^DiffInputError: cannot compare: layer 0 of B: reading failed: connection reset$/);
    await assert.rejects(diffImages(side("A", []), { name: "B", configBytes: Buffer.from("{"), layers: [] }), (error: unknown) => error instanceof DiffInputError && error.where === "config");
  });
});

describe("diff engine: reports", () => {
  test("text: verdict with counts, config, then each layer", async () => {
    const b = edited(HELLO, { content: "#!/bin/sh\necho hellO\n", mtime: 2 }).filter((m) => m.type !== "symlink");
    const diff = await diffImages(side("A", [other, layerTar(BASE)], true), side("B", [other, layerTar([...b, { name: "nix/new", type: "dir" }])], true));
    const lines = formatImageDiff(diff).split("\n");
    assert.equal(lines[0], "differs: A and B (1 layer of 2 differs: 1 member changed, 1 added, 1 removed)");
    assert.equal(lines[1], "config:");
    assert.match(lines[2]!, /^ {2}rootfs\.diff_ids\[1\] \(diff_id of layer 1\): "sha256:[0-9a-f]{64}" → "sha256:[0-9a-f]{64}"$/);
    assert.match(lines[3]!, /^layer 0: same \(diff_id sha256:[0-9a-f]{64}\)$/);
    assert.equal(lines[4], "layer 1: 1 changed, 1 added, 1 removed");
    assert.match(lines[5]!, /^ {2}changed nix\/store\/abc-hello\/bin\/hello: mtime 1 → 2, content sha256 [0-9a-f]{16}… → [0-9a-f]{16}…$/);
    assert.equal(lines[6], "  added   nix/new (dir)");
    assert.equal(lines[7], "  removed nix/store/abc-hello/share (symlink → ../def-share)");
    assert.equal(diffExitCode(diff), 1);
  });

  test("JSON: the documented structure", async () => {
    const diff = await diffImages(side("A", [layerTar(BASE)]), side("B", [layerTar(edited(HELLO, { mtime: 2 }))]), { ignoreOwners: true });
    const json = JSON.parse(formatImageDiffJson(diff));
    assert.deepEqual(Object.keys(json), ["same", "a", "b", "options", "config", "layerCount", "layers"]);
    assert.deepEqual(json.options, { ignoreTimestamps: false, ignoreOwners: true, ignoreHistory: false });
    assert.equal(json.same, false);
    assert.equal(json.config[0].layer, 0);
    const layer = json.layers[0];
    assert.deepEqual(Object.keys(layer), ["index", "indexes", "status", "counted", "opened", "labels", "diffIds", "members", "changed", "added", "removed", "notes"]);
    assert.deepEqual([layer.status, layer.counted], ["differs", true]);
    assert.deepEqual(layer.changed, [{ name: HELLO, fields: { mtime: [1, 2] } }]);
  });
});

describe("diff engine: memory", () => {
  const FILES = 50;
  const FILE_SIZE = 4 << 20;
  const CHUNK = 1 << 20;
  const pattern = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) pattern[i] = (i * 31 + (i >> 8)) & 0xff;
  let peak = { heap: 0, buffers: 0 };

  function sample(): void {
    const usage = process.memoryUsage();
    peak = { heap: Math.max(peak.heap, usage.heapUsed), buffers: Math.max(peak.buffers, usage.arrayBuffers) };
  }

  /** A ~200 MB layer streamed from shared chunks; `flip` changes one byte in the middle of the middle file. */
  async function* bigLayer(flip: boolean): AsyncGenerator<Buffer> {
    const changed = Buffer.from(pattern);
    changed[CHUNK / 2] = changed[CHUNK / 2]! ^ 1;
    for (let file = 0; file < FILES; file++) {
      yield memberHeader({ name: `nix/store/big/file-${file}` }, FILE_SIZE);
      for (let at = 0; at < FILE_SIZE; at += CHUNK) {
        sample();
        yield flip && file === FILES / 2 && at === FILE_SIZE / 2 ? changed : pattern;
      }
    }
    yield Buffer.alloc(1024);
  }

  test("two 200 MB layers with one changed byte: one member changed, heap bounded", async () => {
    const start = process.memoryUsage();
    peak = { heap: start.heapUsed, buffers: start.arrayBuffers };
    const sideOf = (name: string, flip: boolean): DiffSide => ({ name, configBytes: config([]), layers: [{ diffId: undefined, label: "layer 0", open: () => bigLayer(flip) }] });
    const began = Date.now();
    const diff = await diffImages(sideOf("A", false), sideOf("B", true));
    const layer = diff.layers[0]!;
    assert.deepEqual(layer.changed.map((c) => [c.name, [...c.fields.keys()]]), [[`nix/store/big/file-${FILES / 2}`, ["content"]]]);
    assert.deepEqual(layer.members, [FILES, FILES]);
    assert.equal(layer.peakPending, 0);
    const mb = (n: number) => Math.round(n / (1 << 20));
    const growth = { heap: mb(peak.heap - start.heapUsed), buffers: mb(peak.buffers - start.arrayBuffers) };
    assert.ok(growth.heap < 64 && growth.buffers < 64, `peak growth: heap ${growth.heap} MB, array buffers ${growth.buffers} MB`);
    assert.ok(Date.now() - began < 10_000, `took ${Date.now() - began} ms`);
  });
});

describe("diff engine: layers matched by diff_id", () => {
  test("alignLayers: the common run by diff_id first, the gaps by position, the rest alone", () => {
    assert.deepEqual(alignLayers(["a", "b", "n", "c"], ["a", "b", "c"]), [[0, 0], [1, 1], [2, undefined], [3, 2]]);
    assert.deepEqual(alignLayers(["x", "y", "c"], ["p", "q", "c"]), [[0, 0], [1, 1], [2, 2]]);
    assert.deepEqual(alignLayers(["a"], ["b", "a", "z"]), [[undefined, 0], [0, 1], [undefined, 2]]);
    assert.deepEqual(alignLayers([undefined, undefined], [undefined]), [[0, 0], [1, undefined]]);
    assert.deepEqual(alignLayers([], []), []);
  });

  test("a layer added in the middle is one removed layer, not a shift of every later one", async () => {
    const layers = [layerTar(BASE), layerTar([{ name: "nix/store/extra", type: "dir" }]), layerTar(edited("nix/store/abc-hello/README", { content: "y" }))];
    const diff = await diffImages(side("A", layers, true), side("B", [layers[0]!, layers[2]!], true));
    assert.deepEqual(
      diff.layers.map((layer) => [layer.status, layer.opened, layer.indexes]),
      [
        ["same", false, [0, 0]],
        ["removed", true, [1, undefined]],
        ["same", false, [2, 1]],
      ],
    );
    assert.equal(diff.same, false);
  });
});
