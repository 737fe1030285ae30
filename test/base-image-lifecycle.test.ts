/**
 * A `from_image`'s file from open to close: gzip decompressed on another
 * thread while the event loop (async API) keeps turning; a bad base image
 * reported before a store layer's error, as the script reads the base first;
 * and no descriptor left open by digest, verify's oracle search or a
 * failed prepare.  The bytes are pinned by golden-current.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConf, type ImageConf } from "../src/conf/validate.ts";
import { parseConfText } from "../src/conf/read.ts";
import { BaseImageError } from "../src/base-image/errors.ts";
import { prepareImage, prepareImageAsync } from "../src/image/image.ts";
import { imageDigests } from "../src/audit/digest.ts";
import { oracleOutcomes } from "../src/audit/oracles.ts";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { GOLDEN_DIR, REPO_ROOT } from "./support/reference.ts";
import type { TreeEntry } from "./support/tree-spec.ts";

interface CurrentFixtures {
  readonly store: TreeEntry[];
  readonly cases: { name: string; conf: string }[];
}
const fixtures = JSON.parse(readFileSync(join(GOLDEN_DIR, "current", "fixtures.json"), "utf8")) as CurrentFixtures;

let store: FixtureStore;
before(() => {
  store = makeFixtureStore(fixtures.store, "base-lifecycle");
});
after(() => store.remove());

function confText(name: string): string {
  const found = fixtures.cases.find((c) => c.name === name);
  assert.ok(found !== undefined, `golden/current has no case ${name}`);
  return found.conf;
}
const confOf = (text: string, name = "conf.json"): ImageConf => validateConf(parseConfText(text, name, "3.13"), name);
/** Open regular files (a worker thread's own event-loop descriptors come and go with the thread: not counted). */
const openFiles = (): number =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith("/");
    } catch {
      return false;
    }
  }).length;

const PLAIN = "cur-from-legacy";
const GZIP = "cur-from-legacy-gzip-env-merge";
const TRUNCATED = "cur-bad-from-truncated-gzip";

describe("from_image: the base image's file from open to close", () => {
  test("a gzip base is decompressed while the async API lets the event loop turn", async () => {
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    // No store layer: the decompression is the only thing prepare can wait for.
    const conf = JSON.parse(confText(GZIP)) as { store_layers: string[][] };
    conf.store_layers = [];
    const image = await prepareImageAsync(confOf(JSON.stringify(conf)), { python: "3.13", root: store.root });
    spinning = false;
    image.close();
    // Waiting blocked (a child process run to its end) gives 0: prepare resolves in microtasks.
    assert.ok(turns > 0, `no event-loop turn while the base image was decompressed (${turns})`);
  });

  for (const name of [PLAIN, GZIP]) {
    test(`${name}: digest and the oracle search leave no descriptor open`, () => {
      const conf = confOf(confText(name));
      imageDigests(conf, { python: "3.13", root: store.root });
      const before = openFiles();
      for (let i = 0; i < 3; i++) imageDigests(conf, { python: "3.13", root: store.root });
      oracleOutcomes(() => conf, { root: store.root });
      assert.equal(openFiles(), before);
    });

    test(`${name}: close() releases the base image and the image streams again before it`, () => {
      const before = openFiles();
      const image = prepareImage(confOf(confText(name)), { python: "3.13", root: store.root });
      assert.equal(openFiles(), before + 1, "the base image is held open from the checks to the stream");
      const first = Buffer.concat([...image.chunks()]);
      const second = Buffer.concat([...image.chunks()]);
      assert.ok(first.equals(second), "a second stream of the same prepared image differs");
      image.close();
      image.close();
      assert.equal(openFiles(), before);
    });
  }

  test("without its worker file, a child node decompresses the gzip base: the same image", () => {
    const dist = mkdtempSync(join(tmpdir(), "sli-no-gunzip-worker-"));
    try {
      cpSync(join(REPO_ROOT, "dist"), dist, { recursive: true });
      rmSync(join(dist, "workers", "gunzip", "gunzip-worker.js"));
      const confPath = join(dist, "conf.json");
      writeFileSync(confPath, confText(GZIP));
      const run = (cli: string) => spawnSync(process.execPath, [cli, "--quiet", "--python", "3.13", "--root", store.root, confPath], { maxBuffer: 1 << 28, env: { ...process.env, TZ: "UTC" } });
      const threaded = run(join(REPO_ROOT, "dist", "cli.js"));
      const inChild = run(join(dist, "cli.js"));
      assert.equal(threaded.status, 0, threaded.stderr.toString());
      assert.equal(inChild.status, 0, inChild.stderr.toString());
      assert.ok(threaded.stdout.length > 0);
      assert.ok(inChild.stdout.equals(threaded.stdout), "the child's decompression gave another image");
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  test("a truncated gzip base fails with one line and leaves nothing open", async () => {
    const before = openFiles();
    for (const prepare of [() => Promise.resolve().then(() => prepareImage(confOf(confText(TRUNCATED)), { python: "3.13", root: store.root })), () => prepareImageAsync(confOf(confText(TRUNCATED)), { python: "3.13", root: store.root })]) {
      await assert.rejects(prepare(), (error: unknown) => error instanceof BaseImageError && /truncated/.test(error.message) && !error.message.includes("\n"));
    }
    assert.equal(openFiles(), before);
  });
});

describe("from_image: a bad base image is the error reported, as the script reads it before any store layer", () => {
  const work = mkdtempSync(join(tmpdir(), "sli-base-first-"));
  const socketPath = "/nix/store/00000000000000000000000000000000-with-socket";
  const server = createServer();
  before(async () => {
    mkdirSync(join(store.root, socketPath), { recursive: true });
    await new Promise<void>((resolve) => server.listen(join(store.root, socketPath, "sock"), resolve));
  });
  after(() => {
    server.close();
    rmSync(join(store.root, socketPath), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const withSocketLayer = (name: string): ImageConf => {
    const conf = JSON.parse(confText(name)) as { store_layers: string[][] };
    conf.store_layers = [[socketPath]];
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify(conf));
    return confOf(JSON.stringify(conf), path);
  };

  test("the store layer's error alone, with a good gzip base (waited for, then released)", async () => {
    const before = openFiles();
    await assert.rejects(prepareImageAsync(withSocketLayer(GZIP), { python: "3.13", root: store.root }), (error: unknown) => /sockets cannot be stored/.test((error as Error).message));
    assert.equal(openFiles(), before);
  });

  test("the truncated gzip base's error, not the socket's", async () => {
    for (const prepare of [prepareImageAsync, (conf: ImageConf, options: object) => Promise.resolve().then(() => prepareImage(conf, options))]) {
      await assert.rejects(prepare(withSocketLayer(TRUNCATED), { python: "3.13", root: store.root }), (error: unknown) => error instanceof BaseImageError && /truncated/.test(error.message));
    }
  });
});
