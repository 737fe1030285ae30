/**
 * The async API lets the caller's event loop run: a server embedding the
 * library keeps answering while an image is hashed and streamed.  Counted in
 * turns of the event loop, not in milliseconds: a ticker re-arming itself
 * with setImmediate runs once per turn, and the pipeline must give at least
 * one turn per chunk of each pass.  (npm run bench reports the longest gap
 * of a 10 ms setInterval on a 1 GB image.)  The synchronous generator stays,
 * with the same bytes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { imageChunks, prepareImageAsync, streamImage } from "../src/image/image.ts";
import type { ImageOptions } from "../src/image/types.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { SMALL_IMAGE_CHUNKS, SMALL_IMAGE_ENTRIES, smallImageConf } from "./support/small-image.ts";
// No digest cache of the user's is read or filled (the CLI and streamImage keep one by default).
import "./support/cache-home.ts";

let store: FixtureStore;
before(() => {
  store = makeFixtureStore(SMALL_IMAGE_ENTRIES, "async-api");
});
after(() => store.remove());

/** Counts event loop turns while `work` runs. */
async function turnsDuring(work: () => Promise<void>): Promise<number> {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

/** A Writable that completes each write at once (in the same turn): only the pipeline itself can give turns away. */
function collector(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      into.push(Buffer.from(chunk));
      done();
    },
  });
}

test("prepareImageAsync: the event loop turns at least once per chunk of the hash passes", async () => {
  const turns = await turnsDuring(async () => {
    await prepareImageAsync(smallImageConf(), { root: store.root });
  });
  assert.ok(turns >= SMALL_IMAGE_CHUNKS, `${turns} turns of the event loop for ${SMALL_IMAGE_CHUNKS} chunks hashed`);
});

test("streamImage: the event loop turns at least once per chunk of both passes, and the bytes equal the synchronous generator's", async () => {
  const options: ImageOptions = { root: store.root };
  const got: Buffer[] = [];
  const turns = await turnsDuring(() => streamImage(smallImageConf(), collector(got), options));
  assert.ok(turns >= 2 * SMALL_IMAGE_CHUNKS, `${turns} turns of the event loop for ${SMALL_IMAGE_CHUNKS} chunks hashed and streamed`);
  assert.ok(Buffer.concat(got).equals(Buffer.concat([...imageChunks(smallImageConf(), options)])));
});

test("the synchronous generator gives no turn away (its contract: it blocks)", async () => {
  const turns = await turnsDuring(async () => {
    for (const chunk of imageChunks(smallImageConf(), { root: store.root })) void chunk;
  });
  assert.equal(turns, 0);
});

test("test hooks are not in the public options type", () => {
  // Compile-time: fails to build if ImageOptions regains a test hook.
  const hookFree: "betweenPasses" extends keyof ImageOptions ? false : true = true;
  const chunkHookFree: "streamedChunk" extends keyof ImageOptions ? false : true = true;
  assert.ok(hookFree && chunkHookFree);
});
