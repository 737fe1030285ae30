/**
 * Faults between a layer's hash pass and its stream pass (injected
 * deterministically by test/support/cli-with-hooks.ts): exit 1, the path in
 * the message, and a truncated tarball on stdout, never a complete image.
 * Also --output: the target is the complete image or untouched, even when
 * the process is killed mid-stream.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { REPO_ROOT } from "./support/reference.ts";
import { storePath } from "./fixtures/layer-fixtures.ts";
import { parseTarLayout } from "../src/tar/inspect.ts";
import type { TreeEntry } from "./support/tree-spec.ts";

const first = storePath(40, "first");
const second = storePath(41, "second");
const custom = storePath(42, "customisation");
const ENTRIES: TreeEntry[] = [
  // Over one output chunk (1 MiB), so bytes reach stdout before the fault.
  { path: `${first}/a`, type: "file", repeat: { text: "first layer\n", count: 150_000 } },
  { path: `${second}/data`, type: "file", repeat: { text: "0123456789", count: 300_000 } },
  { path: `${second}/empty`, type: "file", text: "" },
  { path: `${second}/z-after`, type: "file", text: "after\n" },
  { path: `${custom}/layer.tar`, type: "file", text: "layer" },
  { path: `${custom}/checksum`, type: "file", text: "b".repeat(64) },
];
const CONF = JSON.stringify({
  architecture: "amd64",
  config: {},
  created: "2024-01-01T00:00:00+00:00",
  repo_tag: "x:y",
  store_layers: [[first], [second]],
  customisation_layer: custom,
});

/** Runs `body` with a fresh fixture store that is removed afterwards. */
function withStore(label: string, body: (store: FixtureStore) => void): void {
  const store = makeFixtureStore(ENTRIES, label);
  try {
    body(store);
  } finally {
    store.remove();
  }
}

function runWithFault(root: string, fault: object | null, extraArgs: string[] = []) {
  const conf = join(root, "conf.json");
  writeFileSync(conf, CONF);
  const result = spawnSync(process.execPath, [join(REPO_ROOT, "build", "test", "support", "cli-with-hooks.js"), ...extraArgs, "--root", root, conf], {
    env: { ...process.env, SLI_TEST_FAULT: JSON.stringify(fault) },
    maxBuffer: 1 << 28,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr.toString() };
}

function outerNames(archive: Buffer): string[] {
  return parseTarLayout(archive).members.map((m) => m.name.toString());
}

describe("a store file changes between the hash pass and the stream pass", () => {
  for (const action of ["truncate", "append", "flip", "unlink"] as const) {
    test(`${action}: exit 1, the path named, stdout truncated`, () => {
      withStore(`fault-${action}`, (store) => {
        const result = runWithFault(store.root, { layer: 1, action, path: join(store.root, second.slice(1), "data") });
        assert.equal(result.status, 1, result.stderr);
        const message = result.stderr.trimEnd().split("\n").at(-1)!;
        assert.ok(message.includes(`${second}/data`), message);
        assert.doesNotMatch(result.stderr, /\n\s+at /);
        // Layer 0 was streamed; the image never reaches its manifest.
        assert.ok(result.stdout.length > 0);
        assert.ok(!result.stdout.includes(Buffer.from("manifest.json")), "no manifest: the archive is not complete");
        assert.ok(!outerNames(result.stdout).includes("manifest.json"));
      });
    });
  }

  // The stream pass does not open empty files again: a change to one must
  // still be caught (its mode is in the header, and chmod moves its ctime).
  test("an empty file made unreadable: exit 1, the path named", () => {
    withStore("fault-unreadable-empty", (store) => {
      const result = runWithFault(store.root, { layer: 1, action: "unreadable", path: join(store.root, second.slice(1), "empty") });
      assert.equal(result.status, 1, result.stderr);
      const message = result.stderr.trimEnd().split("\n").at(-1)!;
      assert.match(message, /Layer 1 changed between the hash pass and the stream pass: .*\/empty" changed \(content or metadata\)/);
      assert.ok(!outerNames(result.stdout).includes("manifest.json"));
    });
  });

  test("control: without a fault the same run succeeds", () => {
    withStore("fault-none", (store) => {
      const result = runWithFault(store.root, null);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(outerNames(result.stdout).includes("manifest.json"));
    });
  });
});

// Faults no member record can see (each header and size is as hashed): only
// the layer-level checks of the stream pass catch them, each its own.
describe("the stream pass's bytes differ from the hash pass's, every member record unchanged", () => {
  for (const [action, expected] of [
    ["stream-flip", /Layer 0 changed between the hash pass and the stream pass: its content differs from the hashed one$/],
    ["stream-extra", /Layer 0 changed between the hash pass and the stream pass: it grew beyond the \d+ bytes hashed$/],
    ["stream-short", /Layer 0 changed between the hash pass and the stream pass: \d+ bytes streamed, \d+ hashed$/],
  ] as const) {
    test(`${action}: exit 1, the layer-level check names it, no complete image`, () => {
      withStore(`fault-${action}`, (store) => {
        const result = runWithFault(store.root, { layer: 0, action, path: "" });
        assert.equal(result.status, 1, result.stderr);
        assert.match(result.stderr.trimEnd().split("\n").at(-1)!, expected);
        assert.ok(!result.stdout.includes(Buffer.from("manifest.json")), "no manifest: the archive is not complete");
      });
    });
  }
});

describe("--output FILE", () => {
  test("writes the same bytes as stdout and leaves no temporary file", () => {
    withStore("output-ok", (store) => {
      const target = join(store.root, "image.tar");
      const viaStdout = runWithFault(store.root, null);
      const viaFile = runWithFault(store.root, null, ["-o", target]);
      assert.equal(viaFile.status, 0, viaFile.stderr);
      assert.equal(viaFile.stdout.length, 0);
      assert.ok(readFileSync(target).equals(viaStdout.stdout));
      assert.deepEqual(readdirSync(store.root).filter((f) => f.endsWith(".tmp")), []);
    });
  });

  test("killed mid-stream (SIGKILL): a new target stays absent, an old one unchanged", () => {
    withStore("output-kill", (store) => {
      const fresh = join(store.root, "fresh.tar");
      const killed = runWithFault(store.root, { layer: 1, action: "kill", path: "" }, ["-o", fresh]);
      assert.equal(killed.signal, "SIGKILL");
      assert.equal(existsSync(fresh), false);

      const old = join(store.root, "old.tar");
      writeFileSync(old, "the previous image");
      const again = runWithFault(store.root, { layer: 1, action: "kill", path: "" }, ["--output", old]);
      assert.equal(again.signal, "SIGKILL");
      assert.equal(readFileSync(old, "utf8"), "the previous image");
    });
  });

  test("a fault while streaming leaves the old target unchanged and removes the temporary file", () => {
    withStore("output-fault", (store) => {
      const old = join(store.root, "old.tar");
      writeFileSync(old, "the previous image");
      const result = runWithFault(store.root, { layer: 1, action: "flip", path: join(store.root, second.slice(1), "data") }, ["-o", old]);
      assert.equal(result.status, 1);
      assert.equal(readFileSync(old, "utf8"), "the previous image");
      assert.deepEqual(readdirSync(store.root).filter((f) => f.endsWith(".tmp")), []);
    });
  });
});

test("stdout closed early (| head -c 100): quiet exit 1, no stack trace", () => {
  withStore("epipe", (store) => {
    const conf = join(store.root, "conf.json");
    writeFileSync(conf, CONF);
    const result = spawnSync("bash", ["-c", `"${process.execPath}" "${join(REPO_ROOT, "dist", "cli.js")}" --root "${store.root}" "${conf}" | head -c 100 >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`]);
    const stderr = result.stderr.toString();
    assert.match(stderr, /status=1\n$/);
    assert.doesNotMatch(stderr, /Error|\n\s+at /);
  });
});
