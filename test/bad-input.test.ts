/**
 * Every bad input is found before the first byte: exit code 2, nothing on
 * stdout, one line on stderr naming the file, key or path.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:net";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { makeFixtureStore, type FixtureStore } from "./support/fixture-store.ts";
import { runOurCli, type ProcessResult } from "./support/reference.ts";
import { storePath } from "./fixtures/layer-fixtures.ts";
import type { TreeEntry } from "./support/tree-spec.ts";
import { skipOrFail } from "./support/requirements.ts";
import { copyCliFor, setprivArgs } from "./support/as-nobody.ts";

const good = storePath(30, "good");
const withSocket = storePath(31, "with-socket");
const unreadableFile = storePath(32, "unreadable-file");
const unreadableDir = storePath(33, "unreadable-dir");
const custom = storePath(34, "customisation");
const customShort = storePath(35, "customisation-short-checksum");
const customNoTar = storePath(36, "customisation-without-layer-tar");
const customDirTar = storePath(37, "customisation-layer-tar-is-a-dir");
const longLinks = storePath(38, "symlink-name-too-long");
const longStoreLink = storePath(39, "store-path-symlink-name-too-long");
const CHECKSUM = "a".repeat(64);

const ENTRIES: TreeEntry[] = [
  { path: `${good}/bin/hello`, type: "file", mode: "0755", text: "hello\n" },
  { path: `${withSocket}/ok`, type: "file", text: "" },
  { path: `${unreadableFile}/secret`, type: "file", mode: "0000", text: "no\n" },
  { path: `${unreadableDir}/locked/inside`, type: "file", text: "" },
  { path: `${unreadableDir}/locked`, type: "dir", mode: "0000" },
  { path: `${custom}/layer.tar`, type: "file", text: "layer" },
  { path: `${custom}/checksum`, type: "file", text: `${CHECKSUM}\n` },
  { path: `${customShort}/layer.tar`, type: "file", text: "layer" },
  { path: `${customShort}/checksum`, type: "file", text: "abc\n" },
  { path: `${customNoTar}/checksum`, type: "file", text: CHECKSUM },
  { path: `${customDirTar}/layer.tar/x`, type: "file", text: "" },
  { path: `${customDirTar}/checksum`, type: "file", text: CHECKSUM },
  { path: `${longLinks}/link`, type: "symlink", target: "x".repeat(256) },
  { path: longStoreLink, type: "symlink", target: "x".repeat(256) },
];

function confText(overrides: Record<string, string | undefined>): string {
  const fields: Record<string, string | undefined> = {
    architecture: '"amd64"',
    config: "{}",
    created: '"2024-01-01T00:00:00+00:00"',
    repo_tag: '"x:y"',
    store_layers: JSON.stringify([[good]]),
    customisation_layer: JSON.stringify(custom),
    ...overrides,
  };
  return `{${Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `"${k}": ${v}`)
    .join(", ")}}`;
}

describe("bad input: exit 2, empty stdout, one line naming the problem", () => {
  let store: FixtureStore;
  let socketServer: Server;
  let confCounter = 0;
  before(async () => {
    store = makeFixtureStore(ENTRIES, "bad-input");
    chmodSync(store.root, 0o755);
    const socketPath = join(store.root, withSocket.slice(1), "listening.sock");
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer.listen(socketPath, resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => socketServer.close(() => resolve()));
    store.remove();
  });

  function writeConf(text: string | Buffer): string {
    const path = join(store.root, `conf-${confCounter++}.json`);
    writeFileSync(path, text);
    return path;
  }

  function expectRejected(result: ProcessResult, ...fragments: string[]): void {
    assert.equal(result.status, 2, `exit status (stderr: ${result.stderr})`);
    assert.equal(result.stdout.length, 0, "nothing on stdout");
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
    assert.match(lines[0]!, /^stream-layered-image: /);
    for (const fragment of fragments) assert.ok(lines[0]!.includes(fragment), `${JSON.stringify(fragment)} in ${JSON.stringify(lines[0])}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  }

  const run = (conf: string, ...extra: string[]) => runOurCli([...extra, "--root", store.root, conf], "UTC");

  test("control: the good conf is accepted", () => {
    const result = run(writeConf(confText({})));
    assert.equal(result.status, 0, result.stderr);
    assert.ok(result.stdout.length > 0);
  });
  test("conf file missing", () => expectRejected(run(join(store.root, "missing.json")), "Cannot read conf", "missing.json", "ENOENT"));
  test("conf is not UTF-8", () => {
    const conf = writeConf(Buffer.from([0x7b, 0xff, 0x7d]));
    expectRejected(run(conf), conf, "not valid UTF-8");
  });
  test("conf is not JSON", () => {
    const conf = writeConf('{"architecture": "amd64",}');
    expectRejected(run(conf), conf, "invalid JSON", "line 1 column");
  });
  test("conf is not an object", () => expectRejected(run(writeConf("[1, 2]")), "must be a JSON object, not list"));
  for (const key of ["architecture", "config", "created", "repo_tag", "store_layers", "customisation_layer"]) {
    test(`missing key ${key}`, () => expectRejected(run(writeConf(confText({ [key]: undefined }))), `missing key "${key}"`));
  }
  test("store_layers is not a list", () => expectRejected(run(writeConf(confText({ store_layers: '"/nix/store/x"' }))), '"store_layers" must be a list', "not str"));
  test("a layer is not a list", () => expectRejected(run(writeConf(confText({ store_layers: JSON.stringify([good]) }))), '"store_layers"[0] must be a list'));
  test('store_layers {"": …}: an object with keys (the reference makes an empty layer of the "" key)', () =>
    expectRejected(run(writeConf(confText({ store_layers: '{"": 1}' }))), '"store_layers" must be a list', "not dict"));
  test("a layer given as an object whose keys are not store paths", () =>
    expectRejected(run(writeConf(confText({ store_layers: '[{"/etc": 1}]' }))), '"store_layers"[0][0] is not an absolute store path: "/etc"'));
  test("a store path is not a string", () => expectRejected(run(writeConf(confText({ store_layers: "[[1]]" }))), '"store_layers"[0][0] must be a string, not int'));
  test("a store path outside /nix/store", () => expectRejected(run(writeConf(confText({ store_layers: '[["/etc/passwd"]]' }))), '"store_layers"[0][0]', "/etc/passwd"));
  test("a store path that does not exist", () => {
    const missing = storePath(99, "missing");
    expectRejected(run(writeConf(confText({ store_layers: JSON.stringify([[good], [missing]]) }))), missing, "no such file or directory");
  });
  test("a symlink to a name over 255 bytes, where CPython 3.8-3.10's rglob follows it", () => {
    const conf = writeConf(confText({ store_layers: JSON.stringify([[good], [longLinks]]) }));
    expectRejected(run(conf, "--python", "3.10"), `"${longLinks}/link"`, "CPython 3.10's rglob follows this symlink and fails: File name too long");
    assert.equal(run(conf, "--python", "3.11").status, 0, "3.11 does not follow it");
  });
  test("a symlinked store path to a name over 255 bytes, where CPython 3.8-3.12's rglob follows it", () => {
    const conf = writeConf(confText({ store_layers: JSON.stringify([[longStoreLink]]) }));
    expectRejected(run(conf, "--python", "3.12"), `"${longStoreLink}"`, "CPython 3.12's rglob follows this symlinked store path and fails: File name too long");
    assert.equal(run(conf, "--python", "3.13").status, 0, "3.13 swallows the error");
  });
  test("a store path that cannot be a file name", () =>
    expectRejected(run(writeConf(confText({ store_layers: '[["/nix/store/\\ud800-x"]]' }))), "cannot be a file name"));
  test("customisation layer without checksum", () => expectRejected(run(writeConf(confText({ customisation_layer: JSON.stringify(good) }))), `${good}/checksum`, "ENOENT"));
  test("customisation checksum of the wrong length", () =>
    expectRejected(run(writeConf(confText({ customisation_layer: JSON.stringify(customShort) }))), `${customShort}/checksum`, "64 characters, found 3"));
  test("customisation layer without layer.tar", () =>
    expectRejected(run(writeConf(confText({ customisation_layer: JSON.stringify(customNoTar) }))), `${customNoTar}/layer.tar`, "ENOENT"));
  test("customisation layer.tar that is a directory", () =>
    expectRejected(run(writeConf(confText({ customisation_layer: JSON.stringify(customDirTar) }))), `${customDirTar}/layer.tar`, "regular file"));
  test("created that is not a date", () => expectRejected(run(writeConf(confText({ created: '"yesterday"' }))), '"created"', "Invalid isoformat string: 'yesterday'"));
  test("created with Z under --python 3.8 (accepted from 3.11)", () => {
    const conf = writeConf(confText({ created: '"2024-01-01T00:00:00Z"' }));
    expectRejected(run(conf, "--python", "3.8"), '"created"', "Invalid isoformat string");
    assert.equal(run(conf, "--python", "3.11").status, 0);
  });
  test("created that is not a string", () => expectRejected(run(writeConf(confText({ created: "1700000000" }))), '"created" must be a string, not int'));
  test("a socket inside a layer", () =>
    expectRejected(run(writeConf(confText({ store_layers: JSON.stringify([[withSocket]]) }))), `${withSocket}/listening.sock`, "sockets cannot be stored"));
  for (const [what, path, culprit] of [
    ["file", unreadableFile, `${unreadableFile}/secret`],
    ["directory", unreadableDir, `${unreadableDir}/locked`],
  ] as const) {
    test(`an unreadable ${what} (run as nobody)`, (t) => {
      if (process.getuid?.() !== 0) return skipOrFail(t, "privilege", "needs root to run the CLI as another user");
      const conf = writeConf(confText({ store_layers: JSON.stringify([[path]]) }));
      chmodSync(conf, 0o644);
      // nobody may not reach the checkout (a clone under `mktemp -d`): runs a copy of dist/ (support/as-nobody.ts).
      const copy = copyCliFor(65534, 65534);
      try {
        const result = spawnSync("setpriv", [...setprivArgs(65534, 65534), copy.node, copy.cli, "--root", store.root, conf]);
        expectRejected({ status: result.status, stdout: result.stdout, stderr: result.stderr.toString() }, culprit, "permission denied");
      } finally {
        copy.remove();
      }
    });
  }
  test("--debug adds the stack trace", () => {
    const result = runOurCli(["--debug", join(store.root, "missing.json")], "UTC");
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^stream-layered-image: Cannot read conf .*\n[^]*\n\s+at /);
  });
  test("--output into a directory that does not exist (found before the hash passes)", () =>
    expectRejected(run(writeConf(confText({})), "-o", join(store.root, "no-such-dir", "image.tar")), "Cannot write --output", "no-such-dir", "ENOENT"));
  test("--output with a bad conf: no file and no temporary file left", () => {
    const directory = mkdtempSync(join(tmpdir(), "sli-output-"));
    try {
      expectRejected(run(writeConf(confText({ created: '"yesterday"' })), "-o", join(directory, "image.tar")), '"created"');
      assert.deepEqual(readdirSync(directory), []);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
  test("an unknown option", () => expectRejected(runOurCli(["--colour", "x.json"], "UTC"), "unknown option '--colour'", "--help"));
  test("an unknown --python", () => expectRejected(runOurCli(["--python", "2.7", "x.json"], "UTC"), "--python must be one of"));
  test("no conf argument", () => expectRejected(runOurCli([], "UTC"), "expected exactly one CONF argument"));
});

test("--help lists every option and the exit codes", () => {
  const result = runOurCli(["--help"], "UTC");
  assert.equal(result.status, 0);
  const help = result.stdout.toString();
  for (const option of ["--python", "--root", "--output", "--debug", "--help"]) assert.ok(help.includes(option), option);
  assert.match(help, /exit codes:\n\s+0 .*\n\s+1 [^]*\n\s+2 /);
});
