/**
 * A store made by Nix itself (issue 20, item 4).  This machine's Nix builds
 * test/nix/closure.nix into the real /nix/store (no namespace, no --root),
 * `nix-store --optimise` hard-links its twin files, and the confs of both
 * generations come from `nix-store -qR` (test/support/nix.ts).  Then:
 *
 * - the 2020 conf: our CLI reading /nix/store writes byte for byte what the
 *   2020 reference (../shared/reference) writes, run live under each CPython;
 * - the current conf: our CLI writes golden/nix/, which the current script
 *   wrote (`npm run golden -- nix`, docs/with-nix.md), after a check that
 *   Nix built here the store paths and bytes those goldens were made from;
 *   with SLI_CURRENT_REFERENCE the current script also runs live;
 * - `nix copy --to local?root=DIR`, then our CLI with `--root DIR`: the
 *   same bytes for both confs.
 *
 * Without Nix (or root) every test is SKIPPED with the reason, and fails in
 * CI (SLI_REQUIRE_NIX, SLI_REQUIRE_PRIVILEGE).  Our CLI runs as a process.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NIX_GOLDEN_DIR, allPaths, buildClosure, copyClosure, narHashes, nixConfs, nixSystem, nixUnavailable, nixVersion, readNixManifest, type NixClosure } from "./support/nix.ts";
import { REFERENCE_DIR, currentReference, runOurCli, type ProcessResult } from "./support/reference.ts";
import { findPythonInterpreters } from "./support/python.ts";
import { compare } from "./support/image-compare.ts";
import { skipOptional, skipOrFail } from "./support/requirements.ts";

const manifest = readNixManifest();
/** Every CPython the goldens cover (3.8 ... 3.13). */
const VERSIONS = Object.keys(manifest.images);
const REFERENCE_2020 = join(REFERENCE_DIR, "stream_layered_image.py");

const missingNix = nixUnavailable();

function pythonOf(version: string): string | undefined {
  return new Map<string, string>(findPythonInterpreters()).get(version);
}

/** Skips the test (fails it in CI) when Nix cannot build here; true when it must stop. */
function withoutNix(t: { skip(message?: string): void }): boolean {
  if (missingNix === undefined) return false;
  skipOrFail(t, missingNix.kind, missingNix.why);
  return true;
}

/** A Python script run on the real /nix/store, TZ=UTC (the confs' times carry an offset anyway). */
function runScript(python: string, script: string, confPath: string): ProcessResult {
  const result = spawnSync(python, [script, confPath], { env: { ...process.env, TZ: "UTC" }, maxBuffer: 1 << 30 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

function golden(version: string): ProcessResult {
  const files = manifest.images[version]!;
  return { status: 0, stdout: readFileSync(join(NIX_GOLDEN_DIR, files.image)), stderr: readFileSync(join(NIX_GOLDEN_DIR, files.stderr), "utf8") };
}

function ours(version: string, confPath: string, root?: string): ProcessResult {
  return runOurCli([...(root === undefined ? [] : ["--root", root]), "--python", version, confPath], "UTC");
}

/** The one store path of the closure named `name`. */
function storePath(closure: NixClosure, name: string): string {
  const found = allPaths(closure).filter((path) => path.endsWith(`-${name}`));
  assert.equal(found.length, 1, `one store path named ${name} in ${JSON.stringify(allPaths(closure))}`);
  return found[0]!;
}

describe("a store made by a real Nix (test/nix/closure.nix)", () => {
  let closure: NixClosure;
  let work: string;
  let conf2020: string;
  let confCurrent: string;
  let copyRoot: string;
  const reference2020 = new Map<string, ProcessResult>();

  before(() => {
    if (missingNix !== undefined) return;
    const started = Date.now();
    closure = buildClosure();
    work = mkdtempSync(join(tmpdir(), "sli-real-nix-"));
    const confs = nixConfs(closure);
    conf2020 = join(work, "conf-2020.json");
    confCurrent = join(work, "conf-current.json");
    writeFileSync(conf2020, confs["2020"]);
    writeFileSync(confCurrent, confs.current);
    copyRoot = join(work, "copy");
    copyClosure(closure, copyRoot);
    process.stdout.write(`real Nix: closure built (or found), optimised and copied in ${Date.now() - started} ms\n`);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** The 2020 reference's run under `version` (once per version), or undefined after a skip. */
  function reference2020Run(t: { skip(message?: string): void }, version: string): ProcessResult | undefined {
    const python = pythonOf(version);
    if (!existsSync(REFERENCE_2020)) return void skipOrFail(t, "reference", `the 2020 reference is not at ${REFERENCE_2020}`);
    if (python === undefined) return void skipOrFail(t, "reference", `no python ${version} here (/root/.pyenv/versions or PATH)`);
    let result = reference2020.get(version);
    if (result === undefined) reference2020.set(version, (result = runScript(python, REFERENCE_2020, conf2020)));
    return result;
  }

  test("Nix built the store paths, the bytes and the conf golden/nix/ was made from", (t) => {
    if (withoutNix(t)) return;
    const here = `built here by ${nixVersion()} on ${nixSystem()}; golden/nix/ was made by ${manifest.nix} on ${manifest.system} (after a change to test/nix/closure.nix, regenerate it: docs/with-nix.md)`;
    assert.deepEqual(
      { contents: closure.contents, customisationLayer: closure.customisationLayer, storePaths: closure.storePaths },
      { contents: manifest.contents, customisationLayer: manifest.customisationLayer, storePaths: manifest.storePaths },
      `store paths: ${here}`,
    );
    assert.deepEqual(narHashes(allPaths(closure)), manifest.narHashes, `NAR hashes: ${here}`);
    assert.equal(readFileSync(confCurrent, "utf8"), readFileSync(join(NIX_GOLDEN_DIR, manifest.conf), "utf8"), "the current conf");
  });

  test("the closure holds what closure.nix promises: a single-file path, a symlinked path, hard-linked twins, long and non-ASCII names, dangling links, a customisation layer", (t) => {
    if (withoutNix(t)) return;
    const motd = storePath(closure, "sli-motd");
    const data = storePath(closure, "sli-data");
    const tool = storePath(closure, "sli-tool");
    assert.ok(lstatSync(motd).isFile(), "a store path that is a single file");
    assert.equal(lstatSync(motd).mode & 0o7777, 0o444);
    assert.ok(lstatSync(closure.contents).isSymbolicLink(), "a store path that is a symlink");
    assert.equal(readlinkSync(closure.contents), tool, "to another store path");
    assert.equal(lstatSync(join(tool, "bin", "sli-hello")).mode & 0o7777, 0o555, "an executable");
    assert.equal(readlinkSync(join(tool, "bin", "sli-hello-again")), "sli-hello", "a relative symlink");
    assert.equal(readlinkSync(join(tool, "lib", "readme")), join(data, "share", "doc", "readme.txt"), "an absolute symlink");
    for (const dangling of ["dangling-relative", "dangling-absolute"]) {
      assert.ok(lstatSync(join(tool, "lib", dangling)).isSymbolicLink() && !existsSync(join(tool, "lib", dangling)), `${dangling} dangles`);
    }
    assert.ok(readlinkSync(join(tool, "lib", "long-target")).length > 100, "a symlink target longer than 100 bytes");
    const twins = [join(data, "share", "same.txt"), join(tool, "share", "same.txt")].map((path) => lstatSync(path));
    assert.equal(twins[0]!.ino, twins[1]!.ino, "nix-store --optimise hard-linked the twins");
    const names = readdirSync(join(data, "share", "doc"));
    assert.ok(names.some((name) => Buffer.byteLength(name) > 100), "a file name longer than 100 bytes");
    assert.ok(names.some((name) => /[^\x00-\x7f]/.test(name)), "a non-ASCII file name");
    const layerTar = readFileSync(join(closure.customisationLayer, "layer.tar"));
    assert.equal(readFileSync(join(closure.customisationLayer, "checksum"), "utf8"), createHash("sha256").update(layerTar).digest("hex") + "\n");
    assert.deepEqual(readdirSync(closure.customisationLayer).sort(), ["checksum", "layer.tar"]);
  });

  for (const version of VERSIONS) {
    test(`2020 conf: our CLI on the real /nix/store writes the 2020 reference's bytes (python ${version})`, (t) => {
      if (withoutNix(t)) return;
      const reference = reference2020Run(t, version);
      if (reference === undefined) return;
      assert.deepEqual(compare(reference, ours(version, conf2020)), []);
    });
  }

  for (const version of VERSIONS) {
    test(`current conf: our CLI on the real /nix/store writes golden/nix/'s image and stderr (python ${version})`, (t) => {
      if (withoutNix(t)) return;
      assert.deepEqual(compare(golden(version), ours(version, confCurrent)), []);
    });
  }

  test("current conf: the current script itself (SLI_CURRENT_REFERENCE) writes golden/nix/'s bytes under every CPython", (t) => {
    if (withoutNix(t)) return;
    const script = currentReference();
    if (script === undefined || !existsSync(script)) return skipOptional(t, "SLI_CURRENT_REFERENCE does not name today's nixpkgs stream_layered_image.py: golden/nix/ carries the check");
    for (const version of VERSIONS) {
      const python = pythonOf(version);
      if (python === undefined) return skipOrFail(t, "reference", `no python ${version} here (/root/.pyenv/versions or PATH)`);
      assert.deepEqual(compare(golden(version), runScript(python, script, confCurrent)), [], `python ${version}`);
    }
  });

  // --root maps paths the same way under every CPython: the oldest and the
  // newest (3.8 writes other tar bytes than 3.9+) are enough.
  for (const version of [VERSIONS[0]!, VERSIONS[VERSIONS.length - 1]!]) {
    test(`nix copy --to local?root=DIR, then --root DIR: golden/nix/'s bytes and the 2020 reference's (python ${version})`, (t) => {
      if (withoutNix(t)) return;
      assert.deepEqual(compare(golden(version), ours(version, confCurrent, copyRoot)), [], "current conf");
      const reference = reference2020Run(t, version);
      if (reference === undefined) return;
      assert.deepEqual(compare(reference, ours(version, conf2020, copyRoot)), [], "2020 conf");
    });
  }
});
