/**
 * `verify` and `diff` on images as published, through the command line:
 * what the report says was proved (the config alone, or every layer with
 * --layers) and how much was read (-v), a layer blob that is not its
 * digest, the plain path whose bytes differ but whose content is the
 * conf's (another tool's docker-archive, from a file and from stdin), and
 * bad input: one line on stderr, nothing on stdout, exit 2.  The matrix of
 * every tool's forms is test/published-matrix.test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, createReadStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { Writable } from "node:stream";
import { runCli } from "../src/cli/run.ts";
import { copyAsNixStore, removeNixStoreCopy } from "../src/demo/nix-store-copy.ts";
import { EXAMPLE_DIR } from "./support/example-store.ts";
import { runOurCliInProcess } from "./support/cli-in-process.ts";
import { buildExampleImage, type ExampleImage } from "./support/image-sources.ts";
import { commandMissing, skipOrFailClients } from "./support/registry.ts";
import { runIsolated } from "./support/isolated-tools.ts";

let image: ExampleImage;
let layout: string;

before(async () => {
  image = buildExampleImage("published-cli");
  layout = join(image.work, "layout");
  const written = await runSync(["oci", "--quiet", "--no-digest-cache", "--root", image.root, image.conf, layout]);
  assert.equal(written.status, 0, written.stderr);
});
after(() => image.remove());

function runSync(args: readonly string[]) {
  return runOurCliInProcess(args, "UTC");
}

/** Exit 2, one line on stderr matching `line`, nothing on stdout. */
async function refused(args: readonly string[], line: RegExp): Promise<void> {
  const result = await runSync(args);
  assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}${result.stdout}`);
  assert.equal(result.stdout.length, 0, `nothing on stdout: ${result.stdout}`);
  assert.match(result.stderr, /^stream-layered-image: [^\n]+\n$/, "one line");
  assert.match(result.stderr, line);
}

describe("verify on an OCI layout", () => {
  test("the config proves it: no layer read, the bytes read are the index, manifest and nothing more", async () => {
    const result = await runSync(["verify", "-v", "--root", image.root, image.conf, `oci:${layout}`]);
    assert.equal(result.status, 0, result.stderr);
    const text = result.stdout.toString();
    assert.match(text, /^identical: oci:\S+ is what \S+ produces with --generation 2020 --python 3\.13 \(image id sha256:[0-9a-f]{64}\)\n/);
    assert.ok(text.includes(`proved by: its config ${image.imageId} is the image id the conf gives`), text);
    assert.match(text, /all 3 layers: 3 layers not downloaded/);
    const read = Number(/read: +(\d+) bytes from where the image is, 0 layers fetched/.exec(text)?.[1]);
    const index = readFileSync(join(layout, "index.json")).length;
    assert.ok(read > index && read < 4096, `read ${read} bytes: the index and the manifest`);
  });

  test("--layers fetches every layer and says what it checked", async () => {
    const result = await runSync(["verify", "--layers", "-v", "--root", image.root, image.conf, `oci:${layout}`]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.toString(), /all 3 layers fetched: each blob has the manifest's digest and each content the config's diff_id/);
    assert.match(result.stdout.toString(), /3 layers fetched\n/);
  });

  test("a layer blob whose bytes are not its digest: --layers says so in one line (exit 2); without it the config alone was asked", async () => {
    const broken = join(image.work, "broken-layout");
    // Uncompressed: the blob to break is named by its diff_id.
    const copied = await runSync(["oci", "--quiet", "--no-digest-cache", "--compress", "none", "--root", image.root, image.conf, broken]);
    assert.equal(copied.status, 0, copied.stderr);
    const blob = join(broken, "blobs", "sha256", image.diffIds[1]!.slice("sha256:".length));
    const bytes = readFileSync(blob);
    bytes[600] = bytes[600]! ^ 1;
    writeFileSync(blob, bytes);
    await refused(["verify", "--layers", "--root", image.root, image.conf, `oci:${broken}`], new RegExp(`Cannot trust image "oci:${broken}": .*layer 1.*${image.diffIds[1]!.slice(7, 19)}`));
    const configOnly = await runSync(["verify", "--root", image.root, image.conf, `oci:${broken}`]);
    assert.equal(configOnly.status, 0, "the config proves what the image claims; --layers checks the claim");
  });

  test("a layer that differs and whose blob is not its digest: the difference without --layers, the broken blob (exit 2) with it", async () => {
    const broken = join(image.work, "broken-differing-layout");
    assert.equal((await runSync(["oci", "--quiet", "--compress", "none", "--no-digest-cache", "--root", image.root, image.conf, broken])).status, 0);
    const blob = join(broken, "blobs", "sha256", image.diffIds[1]!.slice("sha256:".length));
    const bytes = readFileSync(blob);
    // Past the member that will differ: only reading the blob to its end finds this.
    bytes[bytes.length - 1] = 1;
    writeFileSync(blob, bytes);
    const edited = join(image.work, "edited-store");
    // As the example store was made (Nix's modes), not cpSync: its modes differ between Node versions.
    mkdirSync(edited);
    copyAsNixStore(join(EXAMPLE_DIR, "nix"), join(edited, "nix"));
    const hello = join(edited, "nix", "store", "dhcb9jz9r22yrwjj82la99bbl6chybxm-hello-2.12.1", "bin", "hello");
    chmodSync(hello, 0o755);
    writeFileSync(hello, `${readFileSync(hello, "utf8")}# edited\n`);
    chmodSync(hello, 0o555);
    try {
      const walked = await runSync(["verify", "--root", edited, image.conf, `oci:${broken}`]);
      assert.equal(walked.status, 1, walked.stderr);
      assert.match(walked.stdout.toString(), /^layer 1 \(.*\): its diff_id is .*; the first difference:\n  inside: {3}inner entry \d+ ".*\/bin\/hello"$/m);
      await refused(["verify", "--layers", "--root", edited, image.conf, `oci:${broken}`], /Cannot trust image .*layer 1/);
    } finally {
      // Its directories are read-only, as a store's: made writable again to be removed (also as nobody).
      removeNixStoreCopy(edited);
    }
  });

  test("--platform an index does not hold: one line naming the one it holds; without platforms in the index, its one image", async () => {
    const indexed = join(image.work, "indexed-layout");
    await runSync(["oci", "--quiet", "--no-digest-cache", "--root", image.root, image.conf, indexed]);
    // index.json → an image index (its own blob) → the manifest, for linux/amd64, as a multi-platform image has it.
    const top = JSON.parse(readFileSync(join(indexed, "index.json"), "utf8")) as { manifests: Record<string, unknown>[] };
    const entry = top.manifests[0]!;
    const nested = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ ...entry, annotations: undefined, platform: { os: "linux", architecture: "amd64" } }] }));
    const digest = createHash("sha256").update(nested).digest("hex");
    writeFileSync(join(indexed, "blobs", "sha256", digest), nested);
    writeFileSync(join(indexed, "index.json"), JSON.stringify({ ...top, manifests: [{ ...entry, mediaType: "application/vnd.oci.image.index.v1+json", digest: `sha256:${digest}`, size: nested.length }] }));
    await refused(["verify", "--platform", "linux/arm64", "--root", image.root, image.conf, `oci:${indexed}`], /linux\/arm64.*linux\/amd64/);
    const chosen = await runSync(["verify", "--root", image.root, image.conf, `oci:${indexed}`]);
    assert.equal(chosen.status, 0, "the default platform is linux/ and the conf's architecture");
    assert.equal((await runSync(["verify", "--platform", "linux/arm64", "--root", image.root, image.conf, `oci:${layout}`])).status, 0, "an index without platforms: its one image");
  });
});

/** A copy of the layout's oci-layout file alone. */
function withoutIndex(): string {
  const dir = join(image.work, "no-index");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "oci-layout"), readFileSync(join(layout, "oci-layout")));
  return dir;
}

describe("verify and diff: bad input is one line, exit 2, nothing on stdout", () => {
  const cases: [string, () => string[], RegExp][] = [
    ["a registry nobody listens on", () => ["verify", "--retry-times", "0", "--root", image.root, image.conf, "docker://127.0.0.1:9/app:1"], /127\.0\.0\.1:9/],
    ["an OCI layout that is not there", () => ["verify", "--root", image.root, image.conf, `oci:${image.work}/none`], /none/],
    ["an OCI layout without index.json", () => ["verify", "--root", image.root, image.conf, `oci:${withoutIndex()}`], /index\.json/],
    ["a docker-archive REF it does not hold", () => ["verify", "--root", image.root, image.conf, `docker-archive:${image.tar}:other:tag`], /other:tag/],
    ["a bad --platform", () => ["verify", "--platform", "linux", "--root", image.root, image.conf, `oci:${layout}`], /platform/],
    ["a transport not read here", () => ["verify", "--root", image.root, image.conf, "containers-storage:app"], /containers-storage/],
    ["diff with a side that is not there", () => ["diff", `oci:${layout}`, `${image.work}/missing.tar`], /missing\.tar/],
  ];
  for (const [name, args, line] of cases) test(name, () => refused(args(), line));
});

describe("diff on the command line", () => {
  test("CONF against its own layout: the same (exit 0), layers matched by diff_id and not opened", async () => {
    const result = await runSync(["diff", "--json", "--root", image.root, image.conf, `oci:${layout}`]);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout.toString()) as { same: boolean; layers: { status: string; opened: boolean }[] };
    assert.equal(report.same, true);
    assert.deepEqual(report.layers.map((layer) => [layer.status, layer.opened]), [["same", false], ["same", false], ["same", false]]);
  });

  test("the docker-archive and the layout of one image: the same, in text", async () => {
    const result = await runSync(["diff", image.tar, `oci:${layout}`]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout.toString(), /^same: /);
  });
});

/** runCli with `input` as stdin (verify CONF -). */
async function withStdin(args: readonly string[], input: string): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      stdout += chunk.toString();
      done();
    },
  });
  const status = await runCli(args, { stdout: sink, stderr: (text) => (stderr += text), stdin: createReadStream(input) } as Parameters<typeof runCli>[1]);
  return { status, stdout, stderr };
}

describe("a plain path whose bytes differ", () => {
  test("another tool's docker-archive of the same content: said so, pointing to docker-archive:FILE; from stdin, what to do", async (t) => {
    const missing = commandMissing("skopeo", ["--version"]);
    if (missing !== undefined) return skipOrFailClients(t, missing);
    const copy = join(image.work, "skopeo-copy.tar");
    const copied = await runIsolated("skopeo", ["copy", "-q", `docker-archive:${image.tar}`, `docker-archive:${copy}:hello-example:latest`]);
    assert.equal(copied.status, 0, copied.stderr);
    const result = await runSync(["verify", "--root", image.root, image.conf, copy]);
    assert.equal(result.status, 1, result.stderr);
    const text = result.stdout.toString();
    assert.match(text, /^differs: /);
    assert.ok(text.includes(`content: ${copy} holds what this conf gives`), text);
    assert.ok(text.includes(`verify CONF docker-archive:${copy}`), text);
    assert.doesNotMatch(text, /was altered/);
    const piped = await withStdin(["verify", "--root", image.root, image.conf, "-"], copy);
    assert.equal(piped.status, 1, piped.stderr);
    assert.match(piped.stdout, /either stdin was altered after it was written, or another tool wrote this content: save it to a file and verify docker-archive:FILE/);
    const asArchive = await runSync(["verify", "--root", image.root, image.conf, `docker-archive:${copy}`]);
    assert.equal(asArchive.status, 0, asArchive.stderr);
  });
});
