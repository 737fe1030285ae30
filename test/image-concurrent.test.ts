/**
 * Two images streamed at the same time in one process (two `verify`s, a
 * server answering two requests) must not share a hasher: each pass holds
 * its own.  Interleaved chunk by chunk, with layers of several chunks each,
 * both give the same bytes as when streamed one after the other (which the
 * golden and differential tests compare with the reference).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { imageChunks } from "../src/image/image.ts";
import { validateConf, type ImageConf } from "../src/conf/validate.ts";
import { parseConfText } from "../src/conf/read.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { storePath } from "./fixtures/layer-fixtures.ts";
import type { TreeEntry } from "./support/tree-spec.ts";

const custom = storePath(40, "customisation-layer");
const paths = [storePath(41, "big-a"), storePath(42, "big-b"), storePath(43, "big-c")];
const MiB = 1 << 20;
const ENTRIES: TreeEntry[] = [
  { path: `${custom}/layer.tar`, type: "file", repeat: { text: "\0", count: 10240 } },
  { path: `${custom}/checksum`, type: "file", text: createHash("sha256").update(Buffer.alloc(10240)).digest("hex") },
  ...paths.flatMap((path, i): TreeEntry[] => [
    { path: `${path}/one`, type: "file", repeat: { text: String.fromCharCode(97 + i), count: 3 * MiB + 100 } },
    { path: `${path}/two`, type: "file", repeat: { text: "xyz", count: MiB + i } },
  ]),
];

let store: FixtureStore;
before(() => {
  store = makeFixtureStore(ENTRIES, "concurrent");
});
after(() => store.remove());

function conf(layers: string[][]): ImageConf {
  const text = JSON.stringify({ architecture: "amd64", config: {}, created: "2024-01-01T00:00:00+00:00", repo_tag: "c:1", store_layers: layers, customisation_layer: custom });
  return validateConf(parseConfText(text, "conf.json", "3.13"), "conf.json");
}

function sequential(image: ImageConf): Buffer {
  return Buffer.concat([...imageChunks(image, { root: store.root })]);
}

test("two images streamed interleaved chunk by chunk give the bytes each gives alone", () => {
  const images = [conf([[paths[0]!], [paths[1]!]]), conf([[paths[2]!, paths[1]!], [paths[0]!]])];
  const alone = images.map(sequential);
  const streams = images.map((image) => ({ chunks: imageChunks(image, { root: store.root }), got: [] as Buffer[] }));
  let live = streams.length;
  let rounds = 0;
  while (live > 0) {
    live = 0;
    for (const stream of streams) {
      const next = stream.chunks.next();
      if (next.done) continue;
      stream.got.push(next.value);
      live++;
    }
    rounds++;
  }
  assert.ok(rounds > 8, `the streams took turns ${rounds} times`);
  streams.forEach((stream, i) => assert.ok(Buffer.concat(stream.got).equals(alone[i]!), `image ${i}: interleaved bytes differ`));
});
