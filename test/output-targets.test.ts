/**
 * --output onto what is not a plain file name: a FIFO or a device is
 * written in place like stdout (renaming a temporary file over it would
 * replace the device node itself: as root, `-o /dev/null` once turned
 * /dev/null into a regular file); a symlink keeps pointing at the file it
 * names, which is replaced; a directory is bad input.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOurCliInProcess } from "./support/cli-in-process.ts";
import type { FixtureStore } from "./support/fixture-store.ts";
import { skipOrFail } from "./support/requirements.ts";
import { makeSmallImageStore } from "./support/small-image.ts";

let store: FixtureStore;
let confPath: string;
let work: string;
let expected: Buffer;
before(async () => {
  ({ store, confPath } = makeSmallImageStore("output-targets"));
  work = mkdtempSync(join(tmpdir(), "sli-output-targets-"));
  const result = await runOurCliInProcess(["--quiet", "--root", store.root, confPath], undefined);
  assert.equal(result.status, 0, result.stderr);
  expected = result.stdout;
});
after(() => {
  store.remove();
  rmSync(work, { recursive: true, force: true });
});

test("a FIFO is written in place: the reader gets the image, the FIFO stays a FIFO", async () => {
  const fifo = join(work, "fifo");
  const made = spawnSync("mkfifo", [fifo]);
  assert.equal(made.status, 0, "mkfifo (coreutils) failed");
  const reader = spawn("cat", [fifo]);
  const received: Buffer[] = [];
  reader.stdout.on("data", (chunk: Buffer) => received.push(chunk));
  const done = new Promise<void>((resolve) => reader.on("close", () => resolve()));
  const result = await runOurCliInProcess(["--quiet", "--root", store.root, "-o", fifo, confPath], undefined);
  // Were the FIFO replaced, the reader would wait for a writer forever.
  if (!lstatSync(fifo).isFIFO()) reader.kill();
  await done;
  assert.equal(result.status, 0, result.stderr);
  assert.ok(Buffer.concat(received).equals(expected), "the reader did not get the image");
  assert.ok(lstatSync(fifo).isFIFO(), "the FIFO was replaced");
  assert.deepEqual(readdirSync(work).sort(), ["fifo"], "a temporary file was left beside it");
});

test("a character device (a copy of /dev/null) stays a device", async (t) => {
  const device = join(work, "null");
  if (spawnSync("mknod", ["-m", "666", device, "c", "1", "3"]).status !== 0) return skipOrFail(t, "privilege", "mknod needs root");
  try {
    const result = await runOurCliInProcess(["--quiet", "--root", store.root, "-o", device, confPath], undefined);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(lstatSync(device).isCharacterDevice(), "the device node was replaced by a file");
  } finally {
    rmSync(device, { force: true });
  }
});

test("a symlink to a file: the file is replaced, the link kept", async () => {
  const real = join(work, "real.tar");
  const link = join(work, "link.tar");
  writeFileSync(real, "old");
  symlinkSync(real, link);
  const result = await runOurCliInProcess(["--quiet", "--root", store.root, "-o", link, confPath], undefined);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(lstatSync(link).isSymbolicLink(), "the link was replaced");
  assert.ok(readFileSync(real).equals(expected));
  rmSync(link);
  rmSync(real);
});

test("a directory: exit 2, one line naming it, nothing written", async () => {
  const result = await runOurCliInProcess(["--root", store.root, "-o", work, confPath], undefined);
  assert.equal(result.status, 2);
  assert.equal(result.stdout.length, 0);
  assert.match(result.stderr, /^stream-layered-image: Cannot write --output ".*": it is a directory\n$/);
  assert.ok(statSync(work).isDirectory());
});
