/**
 * A symlink whose target lies in a directory the process may not search
 * (EACCES), which root never meets: the CLI runs without
 * CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (setpriv) when root, as it is
 * otherwise; the reference, where it can run, the same way.
 *
 * What the reference does (3.8–3.10 stat() every symlink below a store path,
 * 3.8–3.12 a symlinked store path): below a store path, PermissionError stops
 * 3.8–3.10's walk of that directory silently, so later subdirectories lose
 * their contents (we refuse); a symlinked store path raises it (3.8–3.12 exit
 * with a traceback; we fail too).  And a directory that cannot be listed,
 * whose contents every version (3.13 too) leaves out without a word (we
 * refuse).  Root-only fixtures cannot hold this, so it is checked here
 * rather than by a golden.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { skipOrFail } from "./support/requirements.ts";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PYTHON_VERSIONS } from "../src/profile/python.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { parseTarLayout } from "../src/tar/inspect.ts";
import { storePath } from "./fixtures/layer-fixtures.ts";
import { pythonFor, REFERENCE_DIR, REPO_ROOT, referenceUnavailable, WITH_STORE } from "./support/reference.ts";

const locked = storePath(40, "locked");
const childLink = storePath(41, "symlink-into-locked");
const storeLink = storePath(42, "store-path-symlink-into-locked");
const custom = storePath(43, "customisation");
const unlistable = storePath(44, "unlistable-subdirectory");
/** sha256 of 10240 zero bytes (an empty tar archive). */
const EMPTY_TAR_SHA256 = "84ff92691f909a05b224e1c56abb4864f01b4f8e3c854e4bb4c7baf1d3f6d652";
const DROP_CAPS = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"];
const isRoot = process.getuid?.() === 0;

function setprivMissing(): string | undefined {
  const probe = spawnSync("setpriv", [...DROP_CAPS, "true"]);
  return probe.status === 0 ? undefined : `SKIPPED: setpriv cannot drop CAP_DAC_OVERRIDE here (${probe.error?.message ?? probe.stderr.toString().trim()})`;
}

/** The command prefix that makes a process meet EACCES as an ordinary user would. */
const withoutDacOverride = (command: string[]): string[] => (isRoot ? ["setpriv", ...DROP_CAPS, ...command] : command);

function conf(layers: string[][]): string {
  return JSON.stringify({ architecture: "amd64", config: {}, created: "2024-01-01T00:00:00+00:00", repo_tag: "x:y", store_layers: layers, customisation_layer: custom });
}

function onlyUpTo(python: PythonVersion, last: PythonVersion): boolean {
  return PYTHON_VERSIONS.indexOf(python) <= PYTHON_VERSIONS.indexOf(last);
}

describe("EACCES through a symlink", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "sli-rglob-eacces-"));
    chmodSync(root, 0o755);
    const at = (path: string) => join(root, path);
    mkdirSync(at(`${locked}/inner`), { recursive: true });
    for (const dir of ["a", "z"]) {
      mkdirSync(at(`${childLink}/${dir}`), { recursive: true });
      writeFileSync(at(`${childLink}/${dir}/file`), `${dir}\n`);
    }
    symlinkSync(`../${locked.slice("/nix/store/".length)}/inner`, at(`${childLink}/m-link`));
    symlinkSync(`${locked.slice("/nix/store/".length)}/inner`, at(storeLink));
    mkdirSync(at(custom), { recursive: true });
    writeFileSync(at(`${custom}/layer.tar`), Buffer.alloc(10240));
    writeFileSync(at(`${custom}/checksum`), EMPTY_TAR_SHA256);
    writeFileSync(at("child.json"), conf([[childLink]]));
    writeFileSync(at("store.json"), conf([[storeLink]]));
    mkdirSync(at(`${unlistable}/d`), { recursive: true });
    writeFileSync(at(`${unlistable}/d/file`), "left out by the reference\n");
    writeFileSync(at("unlistable.json"), conf([[unlistable]]));
    chmodSync(at(locked), 0o000);
    chmodSync(at(`${unlistable}/d`), 0o000);
  });
  after(() => {
    chmodSync(join(root, locked), 0o755);
    chmodSync(join(root, unlistable, "d"), 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  const ours = (confName: string, python: PythonVersion) => {
    const [command, ...args] = withoutDacOverride([process.execPath, join(REPO_ROOT, "dist", "cli.js"), "--python", python, "--root", root, join(root, confName)]);
    return spawnSync(command!, args, { maxBuffer: 1 << 26 });
  };

  /** Member names of the store layers of an image. */
  const layerMembers = (image: Buffer): string[] =>
    parseTarLayout(image)
      .members.filter((m) => m.name.toString("utf8").endsWith("/layer.tar"))
      .flatMap((m) => parseTarLayout(image.subarray(m.dataOffset, m.dataOffset + m.dataSize)).members.map((inner) => inner.name.toString("utf8")));

  const cases: {
    conf: string;
    /** The newest profile under which ours fails (and the reference fails or lies). */
    failsUpTo: PythonVersion;
    fragments: (python: PythonVersion) => string[];
    /** What the reference does under `python`: exits 1 with PermissionError, or writes an image checked by `image`. */
    reference: (python: PythonVersion) => { fails: true } | { fails: false; image?: (members: string[]) => void };
  }[] = [
    {
      conf: "child.json",
      failsUpTo: "3.10",
      fragments: (python) => [`"${childLink}/m-link"`, `CPython ${python}'s rglob follows this symlink and fails: Permission denied`, `stops descending "${childLink}"`],
      // It writes an image, under 3.8–3.10 one that may lack the contents of
      // the subdirectories os.scandir lists after the link.
      reference: () => ({ fails: false }),
    },
    {
      conf: "store.json",
      failsUpTo: "3.12",
      fragments: (python) => [`"${storeLink}"`, `CPython ${python}'s rglob follows this symlinked store path and fails: Permission denied (the reference exits with a traceback)`],
      reference: (python) => (onlyUpTo(python, "3.12") ? { fails: true } : { fails: false }),
    },
    {
      conf: "unlistable.json",
      failsUpTo: "3.13",
      fragments: () => [`"${unlistable}/d"`, "reading the directory failed: permission denied (EACCES)"],
      reference: () => ({
        fails: false,
        image: (members) => {
          assert.ok(members.includes(`${unlistable}/d/`), `the directory itself is written: ${members.join(", ")}`);
          assert.ok(!members.includes(`${unlistable}/d/file`), `its contents are left out: ${members.join(", ")}`);
        },
      }),
    },
  ];

  for (const { conf: confName, failsUpTo, fragments, reference } of cases) {
    for (const python of PYTHON_VERSIONS) {
      test(`ours: ${confName} under ${python}`, (t) => {
        const skip = isRoot ? setprivMissing() : undefined;
        if (skip !== undefined) return skipOrFail(t, "clients", skip);
        const result = ours(confName, python);
        const stderr = result.stderr.toString();
        if (!onlyUpTo(python, failsUpTo)) {
          assert.equal(result.status, 0, stderr);
          return;
        }
        assert.equal(result.status, 2, stderr);
        assert.equal(result.stdout.length, 0, "nothing on stdout");
        const lines = stderr.trimEnd().split("\n");
        assert.equal(lines.length, 1, stderr);
        for (const fragment of fragments(python)) assert.ok(lines[0]!.includes(fragment), `${JSON.stringify(fragment)} in ${JSON.stringify(lines[0])}`);
      });

      test(`the reference: ${confName} under ${python}`, (t) => {
        if (!isRoot) return skipOrFail(t, "privilege", "the reference runs here as root only");
        const skip = referenceUnavailable() ?? (pythonFor(python) === undefined ? `python ${python} not found` : undefined);
        if (skip !== undefined) return skipOrFail(t, "reference", skip);
        const setpriv = setprivMissing();
        if (setpriv !== undefined) return skipOrFail(t, "clients", setpriv);
        const interpreter = pythonFor(python)!;
        const command = withoutDacOverride([interpreter, join(REFERENCE_DIR, "stream_layered_image.py"), join(root, confName)]);
        const result = spawnSync(WITH_STORE, [root, "--", ...command], { maxBuffer: 1 << 26 });
        const stderr = result.stderr.toString();
        const expected = reference(python);
        if (expected.fails) {
          assert.equal(result.status, 1, stderr);
          assert.match(stderr.trimEnd().split("\n").at(-1)!, /^PermissionError: \[Errno 13\] Permission denied: /);
        } else {
          assert.equal(result.status, 0, stderr);
          expected.image?.(layerMembers(result.stdout));
        }
      });
    }
  }
});
