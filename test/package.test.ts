/**
 * What `npm pack` ships, and that it runs where it is put: installed from
 * the tarball (as npx does), through `npm exec`, and as a dist/ copied alone
 * (vendored into a bootstrap environment, no package.json beside it).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { VERSION } from "../src/version.ts";
import { REPO_ROOT } from "./support/reference.ts";
import { EXAMPLE_CONF, EXAMPLE_DIR, makeExampleStore, type ExampleStore } from "./support/example-store.ts";
import { readExampleGolden } from "./support/golden-example.ts";
import { copyAsNixStore, removeNixStoreCopy } from "../src/demo/nix-store-copy.ts";

// What the 2020 reference wrote for example/conf.json (golden/example/).
const { log: EXAMPLE_LOG, digests: EXAMPLE_DIGESTS } = readExampleGolden("conf");

const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { name: string; version: string };
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "pipe"], ...options });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

test("the version in the source is package.json's, and --version prints it", () => {
  assert.equal(VERSION, packageJson.version);
  const result = run(process.execPath, [join(REPO_ROOT, "dist", "cli.js"), "--version"]);
  assert.equal(result.status, 0);
  assert.equal(result.stdout, `stream-layered-image ${packageJson.version}\n`);
  assert.equal(result.stderr, "");
});

test("npm pack ships the built JS, its types, README, the docs it links to and LICENSE, nothing else", () => {
  // --ignore-scripts: prepack would rebuild dist/ under the feet of other tests.
  const result = run(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO_ROOT });
  assert.equal(result.status, 0, result.stderr);
  const files = (JSON.parse(result.stdout) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
  const unexpected = files.filter(
    (path) => !["package.json", "README.md", "LICENSE", "dist/package.json"].includes(path) && !/^dist\/(?!demo\/).*\.(js|d\.ts)$/.test(path) && !/^docs\/[a-z-]+\.md$/.test(path),
  );
  assert.deepEqual(unexpected, [], "only dist/**/*.js and *.d.ts (not the npm start demo), README.md, docs/*.md, LICENSE, package.json");
  // The README's links into docs/ resolve inside the package too.
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  for (const [, doc] of readme.matchAll(/\]\((docs\/[a-z-]+\.md)(?:#[^)]*)?\)/g)) assert.ok(files.includes(doc!), `${doc} is packed (the README links to it)`);
  for (const needed of ["README.md", "LICENSE", "package.json", "dist/package.json", "dist/cli.js", "dist/index.js", "dist/index.d.ts", "dist/version.js"]) {
    assert.ok(files.includes(needed), `${needed} is packed`);
  }
});

describe("the package where it is put", () => {
  let scratch: string;
  let store: ExampleStore;
  let expected: Buffer;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "sli-package-"));
    store = makeExampleStore("package");
    const reference = join(scratch, "expected.tar");
    const result = run(process.execPath, [join(REPO_ROOT, "dist", "cli.js"), "--root", store.root, "-o", reference, EXAMPLE_CONF]);
    assert.equal(result.status, 0, result.stderr);
    expected = readFileSync(reference);
  });
  after(() => {
    store.remove();
    removeNixStoreCopy(scratch);
  });

  /** Runs an installed or copied cli.js on the example store; the image must be the repository's. */
  function assertMakesTheExample(command: string, args: readonly string[], label: string): void {
    const out = join(scratch, `${label}.tar`);
    const result = run(command, [...args, "--root", store.root, "-o", out, EXAMPLE_CONF]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, EXAMPLE_LOG);
    assert.ok(readFileSync(out).equals(expected), `${label}: the same image as the repository's dist/`);
  }

  test("dist/ copied alone (without the repository's package.json or node_modules) runs", () => {
    const vendored = join(scratch, "bootstrap", "vendor", "stream-layered-image");
    cpSync(join(REPO_ROOT, "dist"), vendored, { recursive: true });
    const cli = join(vendored, "cli.js");
    const version = run(process.execPath, [cli, "--version"]);
    assert.equal(version.stdout, `stream-layered-image ${VERSION}\n`, version.stderr);
    assertMakesTheExample(process.execPath, [cli], "vendored");
  });

  test("the packed tarball installs offline and its bin runs; npm exec (npx) runs it", () => {
    const packed = run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: REPO_ROOT });
    assert.equal(packed.status, 0, packed.stderr);
    const tarball = join(scratch, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    const env = { ...process.env, npm_config_cache: join(scratch, "npm-cache"), npm_config_update_notifier: "false" };
    const prefix = join(scratch, "prefix");
    mkdirSync(prefix);
    const installed = run(npm, ["install", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, tarball], { env });
    assert.equal(installed.status, 0, installed.stderr);
    const bin = join(prefix, "node_modules", ".bin", "stream-layered-image");
    const version = run(bin, ["--version"]);
    assert.equal(version.stdout, `stream-layered-image ${VERSION}\n`, version.stderr);
    assertMakesTheExample(bin, [], "installed");

    const viaExec = run(npm, ["exec", "--offline", "--yes", `--package=${tarball}`, "--", "stream-layered-image", "--version"], { env, cwd: scratch });
    assert.equal(viaExec.status, 0, viaExec.stderr);
    assert.equal(viaExec.stdout, `stream-layered-image ${VERSION}\n`);
    assert.doesNotMatch(viaExec.stderr, /install scripts/, "no install-time script for npx to warn about");

    // The library example of docs/library-api.md compiles against the installed package's types, and runs.
    const doc = readFileSync(join(REPO_ROOT, "docs", "library-api.md"), "utf8");
    const section = doc.slice(doc.indexOf("# Library API"));
    const example = /```ts\n([^]*?)```/.exec(section)?.[1];
    assert.ok(example !== undefined, "a ```ts block in docs/library-api.md");
    writeFileSync(join(prefix, "main.ts"), example);
    writeFileSync(
      join(prefix, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          strict: true,
          noUncheckedIndexedAccess: true,
          types: ["node"],
          typeRoots: [join(REPO_ROOT, "node_modules", "@types")],
          outDir: ".",
        },
        files: ["main.ts"],
      }),
    );
    writeFileSync(join(prefix, "package.json"), JSON.stringify({ type: "module", private: true }));
    const tsc = run(process.execPath, [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", prefix]);
    assert.equal(tsc.status, 0, `docs/library-api.md example: ${tsc.stdout}${tsc.stderr}`);
    // It reads conf.json and the store below ./copy, as the doc says.
    cpSync(EXAMPLE_CONF, join(prefix, "conf.json"));
    mkdirSync(join(prefix, "copy"));
    copyAsNixStore(join(EXAMPLE_DIR, "nix"), join(prefix, "copy", "nix"));
    const ran = run(process.execPath, [join(prefix, "main.js")], { cwd: prefix });
    assert.equal(ran.status, 0, ran.stderr);
    assert.ok(readFileSync(join(prefix, "image.tar")).equals(expected), "the docs/library-api.md example writes the same image");
    assert.ok(ran.stdout.includes(`image id sha256:${EXAMPLE_DIGESTS.image}\n`), ran.stdout);
    assert.ok(ran.stdout.includes(`layer 0 again: sha256:${EXAMPLE_DIGESTS.layers[0]}, `), ran.stdout);
  });
});
