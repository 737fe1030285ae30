/**
 * The progress line: its text (a pure function of the event and the rate),
 * when it is drawn and erased, and what reaches stderr on a terminal (a
 * pseudo-terminal made by `script`), through a pipe, and with --quiet.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { PassThrough } from "node:stream";
import { ProgressDisplay, formatBytes, formatBytesOf, formatDuration, renderProgress } from "../src/cli/progress.ts";
import type { ProgressEvent } from "../src/passes/progress-event.ts";
import { runCli } from "../src/cli/run.ts";
import { REPO_ROOT } from "./support/reference.ts";
import { EXAMPLE_CONF, makeExampleStore, type ExampleStore } from "./support/example-store.ts";
import { readExampleGolden } from "./support/golden-example.ts";
import { skipOrFail } from "./support/requirements.ts";

// What the 2020 reference wrote on stderr for example/conf.json (golden/example/).
const { log: EXAMPLE_LOG } = readExampleGolden("conf");

const MiB = 2 ** 20;

/** `imageDone`: bytes of all layers hashed so far (by default, this layer's). */
function hashing(layer: number, layers: number, done: number, imageDone = done): ProgressEvent {
  return { phase: "hashing", layer, layers, layerBytesDone: done, layerBytesTotal: undefined, imageBytesDone: imageDone, imageBytesTotal: 0 };
}
function streaming(layer: number, layers: number, done: number, total: number): ProgressEvent {
  return { phase: "streaming", layer, layers, layerBytesDone: done, layerBytesTotal: total, imageBytesDone: done, imageBytesTotal: total };
}

describe("renderProgress and its units", () => {
  test("bytes in binary units, one decimal below 10", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(1023), "1023 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(412 * MiB), "412 MiB");
    assert.equal(formatBytes(3.25 * 2 ** 30), "3.3 GiB");
    assert.equal(formatBytesOf(300 * MiB, 685 * MiB), "300/685 MiB");
    assert.equal(formatBytesOf(MiB / 2, 2 * 2 ** 30), "0.0/2.0 GiB");
  });
  test("durations rounded up", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(1.2), "2s");
    assert.equal(formatDuration(65), "1m05s");
    assert.equal(formatDuration(7380), "2h03m");
  });
  test("hashing: layer k/n, bytes so far, rate (the size is not known yet)", () => {
    assert.equal(renderProgress(hashing(0, 3, 412 * MiB), 180 * MiB), "layer 1/3 hashing  412 MiB  180 MiB/s");
    assert.equal(renderProgress(hashing(2, 3, 1536)), "layer 3/3 hashing  1.5 KiB");
  });
  test("streaming: image bytes done/total, percent, rate, ETA", () => {
    const event = { ...streaming(1, 3, 300 * MiB, 685 * MiB), layerBytesDone: 20 * MiB, layerBytesTotal: 200 * MiB };
    assert.equal(renderProgress(event, 210 * MiB), "layer 2/3 streaming  300/685 MiB (43%)  210 MiB/s  ETA 2s");
    assert.equal(renderProgress(event), "layer 2/3 streaming  300/685 MiB (43%)");
    assert.equal(renderProgress(streaming(0, 1, 0, 0)), "layer 1/1 streaming  0/0 B (100%)");
  });
});

describe("ProgressDisplay", () => {
  function display(options: { columns?: number } = {}) {
    let now = 0;
    const written: string[] = [];
    const progress = new ProgressDisplay({ write: (text) => written.push(text), now: () => now, ...options });
    return { progress, written, tick: (ms: number) => (now += ms) };
  }

  test("redraws at most every 100 ms within a layer, at once when the layer or phase changes", () => {
    const { progress, written, tick } = display();
    progress.event(hashing(0, 2, MiB));
    tick(50);
    progress.event(hashing(0, 2, 2 * MiB));
    assert.deepEqual(written, ["\rlayer 1/2 hashing  1.0 MiB\x1b[K"]);
    tick(200);
    progress.event(hashing(0, 2, 3 * MiB));
    tick(10);
    progress.event(hashing(1, 2, MiB, 4 * MiB));
    tick(10);
    progress.event(streaming(0, 2, MiB, 4 * MiB));
    assert.deepEqual(written.slice(1), [
      // 2 MiB more in 250 ms since the phase's first event.
      "\rlayer 1/2 hashing  3.0 MiB  8.0 MiB/s\x1b[K",
      // The rate counts every layer hashed so far: (3 + 1 - 1) MiB in 260 ms.
      "\rlayer 2/2 hashing  1.0 MiB  12 MiB/s\x1b[K",
      // A new phase: no rate until it has run 200 ms.
      "\rlayer 1/2 streaming  1.0/4.0 MiB (25%)\x1b[K",
    ]);
  });

  test("a log line erases the progress line; the next event draws at once; finish erases it", () => {
    const { progress, written, tick } = display();
    progress.log("first");
    progress.event(streaming(0, 1, MiB, 2 * MiB));
    progress.log("Creating layer 0 from paths: ['/nix/store/x']");
    tick(1);
    progress.event(streaming(0, 1, 2 * MiB, 2 * MiB));
    progress.finish();
    progress.finish();
    assert.deepEqual(written, [
      "first\n",
      "\rlayer 1/1 streaming  1.0/2.0 MiB (50%)\x1b[K",
      "\r\x1b[KCreating layer 0 from paths: ['/nix/store/x']\n",
      "\rlayer 1/1 streaming  2.0/2.0 MiB (100%)\x1b[K",
      "\r\x1b[K",
    ]);
  });

  test("cut to the terminal's width, so that it never wraps", () => {
    const { progress, written } = display({ columns: 12 });
    progress.event(hashing(0, 1, 0));
    assert.deepEqual(written, ["\rlayer 1/1 h\x1b[K"]);
  });
});

/**
 * The progress lines with their rate and ETA removed.  A phase shows its
 * rate once it has run 200 ms by the real clock, which a loaded machine
 * reaches even for these small layers: what the CLI tests assert must not
 * depend on it (the rate itself is tested above with a fake clock).
 */
function withoutRate(output: string): string {
  return output.replace(/ {2}[\d.]+ (?:B|[KMGTP]iB)\/s(?: {2}ETA \S+?)?(?=\x1b\[K)/g, "");
}

test("withoutRate removes exactly the rate and ETA a slow run adds", () => {
  for (const event of [hashing(1, 2, 10 * 1024), streaming(1, 2, 20 * 1024, 20 * 1024), streaming(0, 2, 10 * 1024, 20 * 1024)]) {
    for (const rate of [1, 999, 51_200, 3.5 * MiB, 2 ** 40]) {
      assert.equal(withoutRate(`\r${renderProgress(event, rate)}\x1b[K`), `\r${renderProgress(event)}\x1b[K`);
    }
  }
});

/** Terminal output without the progress line: every redraw and erase removed, newlines as written. */
function withoutProgress(output: string): string {
  return output.replace(/\r\n/g, "\n").replace(/\r[^\r\n]*?\x1b\[K/g, "");
}

describe("stderr of the command line", () => {
  let store: ExampleStore;
  let scratch: string;
  let counter = 0;
  before(() => {
    store = makeExampleStore("progress");
    scratch = mkdtempSync(join(tmpdir(), "sli-progress-out-"));
  });
  after(() => {
    store.remove();
    rmSync(scratch, { recursive: true, force: true });
  });
  const output = () => join(scratch, `image-${counter++}.tar`);

  // The display of both passes: no digest cache, or a warm one would skip the hashing lines.
  async function inProcess(terminal: boolean, ...extra: string[]): Promise<{ code: number; stderr: string; image: Buffer }> {
    let stderr = "";
    const out = output();
    const code = await runCli([...extra, "--root", store.root, "-o", out, EXAMPLE_CONF], { stdout: new PassThrough(), stderr: (text) => (stderr += text), terminal });
    return { code, stderr, image: readFileSync(out) };
  }
  const cold = (terminal: boolean, ...extra: string[]) => inProcess(terminal, "--no-digest-cache", ...extra);

  test("not a terminal: exactly the reference's lines", async () => {
    const { code, stderr } = await inProcess(false);
    assert.equal(code, 0);
    assert.equal(stderr, EXAMPLE_LOG);
  });
  test("a terminal: the same lines, with a progress line for each phase and layer, erased at the end", async () => {
    const { code, stderr: shown, image } = await cold(true);
    const stderr = withoutRate(shown);
    assert.equal(code, 0);
    assert.match(stderr, /^\rlayer 1\/2 hashing {2}10 KiB\x1b\[K/);
    assert.match(stderr, /\rlayer 2\/2 hashing {2}10 KiB\x1b\[K/);
    assert.match(stderr, /\rlayer 1\/2 streaming {2}10\/20 KiB \(50%\)\x1b\[K\r\x1b\[KCreating layer 1 from paths/);
    assert.ok(stderr.endsWith("Done.\n"), JSON.stringify(stderr.slice(-40)));
    assert.equal(withoutProgress(stderr), EXAMPLE_LOG);
    assert.deepEqual(image, (await inProcess(false)).image, "the same image either way");
  });
  test("a warm digest cache: no hashing line, the streaming ones, the same lines and image", async () => {
    const cache = ["--digest-cache", join(scratch, "digests")];
    const first = await inProcess(true, ...cache);
    const { code, stderr: shown, image } = await inProcess(true, ...cache);
    const stderr = withoutRate(shown);
    assert.equal(code, 0);
    assert.match(withoutRate(first.stderr), /\rlayer 1\/2 hashing/);
    assert.doesNotMatch(stderr, /hashing/);
    assert.match(stderr, /^Creating layer 0 from paths: [^\n]*\n\rlayer 1\/2 streaming {2}10\/20 KiB \(50%\)\x1b\[K/);
    assert.equal(withoutProgress(stderr), EXAMPLE_LOG);
    assert.deepEqual(image, first.image);
  });
  test("--quiet: nothing on stderr, terminal or not; the same image", async () => {
    const quietTerminal = await inProcess(true, "--quiet");
    const quietPipe = await inProcess(false, "-q");
    assert.equal(quietTerminal.code, 0);
    assert.equal(quietTerminal.stderr, "");
    assert.equal(quietPipe.stderr, "");
    assert.deepEqual(quietTerminal.image, quietPipe.image);
  });
  test("an error while a progress line is shown: the line is erased before the message", async () => {
    // Layer 0 hashes (a progress line), then layer 1's store path is missing.
    const conf = JSON.parse(readFileSync(EXAMPLE_CONF, "utf8")) as { store_layers: string[][] };
    conf.store_layers[1] = ["/nix/store/00000000000000000000000000000000-missing"];
    const confPath = join(scratch, "missing-layer.json");
    writeFileSync(confPath, JSON.stringify(conf));
    let stderr = "";
    const code = await runCli(["--no-digest-cache", "--root", store.root, "-o", output(), confPath], {
      stdout: new PassThrough(),
      stderr: (text) => (stderr += text),
      terminal: true,
    });
    assert.equal(code, 2);
    assert.match(withoutRate(stderr), /^\rlayer 1\/2 hashing {2}10 KiB\x1b\[K\r\x1b\[Kstream-layered-image: [^\n]*-missing[^\n]*\n$/);
  });

  const cli = join(REPO_ROOT, "dist", "cli.js");
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const scriptMissing = spawnSync("script", ["--version"]).error !== undefined;

  /** Runs dist/cli.js under a pseudo-terminal (util-linux `script`): stdout and stderr both reach it. */
  function underTerminal(...args: string[]) {
    const command = [process.execPath, cli, ...args].map(quote).join(" ");
    const result = spawnSync("script", ["-qec", command, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TERM: "xterm" }, encoding: "utf8" });
    return { status: result.status, output: result.stdout };
  }

  test("a real terminal (script -qc): the progress line appears, and the reference's lines", (t) => {
    if (scriptMissing) return skipOrFail(t, "clients", "`script` (util-linux, Debian's bsdutils) is not installed");
    const { status, output: shown } = underTerminal("--no-digest-cache", "--root", store.root, "-o", output(), EXAMPLE_CONF);
    const seen = withoutRate(shown);
    assert.equal(status, 0, seen);
    assert.match(seen, /\rlayer 1\/2 hashing {2}10 KiB\x1b\[K/);
    assert.match(seen, /\rlayer 2\/2 streaming {2}20\/20 KiB \(100%\)\x1b\[K/);
    assert.equal(withoutProgress(seen), EXAMPLE_LOG);
  });
  test("a real terminal with --quiet: nothing at all", (t) => {
    if (scriptMissing) return skipOrFail(t, "clients", "`script` (util-linux, Debian's bsdutils) is not installed");
    const { status, output: seen } = underTerminal("--quiet", "--root", store.root, "-o", output(), EXAMPLE_CONF);
    assert.equal(status, 0, seen);
    assert.equal(seen, "");
  });
  test("piped: stderr is byte for byte the reference's lines", () => {
    const result = spawnSync(process.execPath, [cli, "--root", store.root, EXAMPLE_CONF], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
    assert.equal(result.status, 0);
    assert.equal(result.stderr.toString("utf8"), EXAMPLE_LOG);
    assert.equal(result.stdout.length, 40960);
  });
});
