/**
 * The up-front hash passes run two layers at a time: the digests must be
 * those of one layer after the other, and with several bad layers the error
 * must be the first layer's, as when they ran in order.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { hashPasses } from "../src/passes/hash-passes.ts";
import { layerStyle } from "../src/layer/layer-walk.ts";
import { WalkedList } from "../src/store/walked-list.ts";
import { generationRules } from "../src/profile/generation.ts";
import { CannotArchiveError } from "../src/store/errors.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { storePath } from "./fixtures/layer-fixtures.ts";
import type { TreeEntry } from "./support/tree-spec.ts";

const MiB = 1 << 20;
const big = [storePath(50, "big-a"), storePath(51, "big-b"), storePath(52, "small")];
const missing = [storePath(53, "missing-a"), storePath(54, "missing-b")];
const ENTRIES: TreeEntry[] = [
  { path: `${big[0]}/data`, type: "file", repeat: { text: "a", count: 9 * MiB } },
  { path: `${big[1]}/data`, type: "file", repeat: { text: "b", count: 5 * MiB + 7 } },
  { path: `${big[2]}/data`, type: "file", text: "c" },
];

let store: FixtureStore;
before(() => {
  store = makeFixtureStore(ENTRIES, "hash-passes");
});
after(() => store.remove());

const run = (layers: string[][], concurrency: number) => hashPasses(layers, 1700000000n, { root: store.root, python: "3.13", progress: undefined, style: layerStyle(generationRules("2020")), concurrency, recordWalks: true });

test("two at a time gives the digests, sizes and CRCs of one after the other", () => {
  const layers = [[big[0]!], [big[1]!], [big[2]!], [big[1]!, big[2]!]];
  const summary = (concurrency: number) => run(layers, concurrency).map(({ sha256, size, crc32, record, entries }) => ({ sha256, size, crc32, walk: record?.encode().toString("base64"), members: entries?.length }));
  assert.deepEqual(summary(2), summary(1));
  assert.ok(summary(1).every(({ walk, members }) => walk !== undefined && WalkedList.decode(Buffer.from(walk, "base64"))?.length === members), "recordWalks: each layer's walk, an entry a member");
});

test("with several bad layers, the first one's error is thrown, after a good layer before it runs to its end", () => {
  for (const layers of [
    [[big[0]!], [missing[0]!], [missing[1]!]],
    [[missing[0]!], [big[0]!], [missing[1]!]],
    [[big[1]!], [big[0]!, missing[0]!], [missing[1]!]],
  ]) {
    const expected = missing.find((path) => layers.flat().includes(path))!;
    assert.throws(() => run(layers, 2), (error: unknown) => error instanceof CannotArchiveError && error.message.includes(expected), JSON.stringify(layers));
  }
  // And the hashers went back clean: a good run afterwards still agrees with one at a time.
  assert.deepEqual(run([[big[0]!], [big[1]!]], 2).map((layer) => layer.sha256), run([[big[0]!], [big[1]!]], 1).map((layer) => layer.sha256));
});
