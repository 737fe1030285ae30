/**
 * The --root rule (src/store/root.ts; docs/cli.md, "Where --root reads"):
 * one table of cases, each run against every kind of path the conf names: a
 * store path (2020 script, and the current one with store_dir ""), the
 * customisation layer (2020) and from_image (current).  The same object
 * stands in several places, each copy tagged: DIR/nix/store/X ("store"),
 * DIR/nix/store/holder/X ("holder"), DIR/nix/store/holder/sub/X ("sub"), the
 * host's OUT/X ("host") and below DIR where a lookup that does not follow
 * the rule would find it (DIR + OUT/X, DIR/outside/X: "decoy").  A case
 * expects the tag found in the image, an errno in our one-line error, "conf"
 * (the 2020 conf check: not a /nix/store/ path) or "alone" (the current
 * script writes a symlinked store path as the link alone: no tag at all).
 *
 * `before` is what the code before the rule gave (commit 1c51ce2, measured
 * by running this table against it): each such case fails without the fix.
 * The reference, run under with-store on the same tree (DIR/nix on /nix,
 * the host's OUT where it is), must agree: the same bytes, or a failure
 * where ours fails (its Python exception for our errno or conf error).
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TAR_FORMAT_CURRENT } from "../src/profile/python.ts";
import { BLOCK_SIZE, TypeFlag } from "../src/tar/constants.ts";
import { encodeHeader } from "../src/tar/header.ts";
import { buildTree, type TreeEntry } from "./support/tree-spec.ts";
import { currentReference, currentReferenceUnavailable, pythonFor, REFERENCE_DIR, REPO_ROOT, referenceUnavailable, WITH_STORE } from "./support/reference.ts";
import { skipOptional, skipOrFail } from "./support/requirements.ts";

type Kind = "store path, 2020" | "store path, current" | "customisation layer" | "from_image";
const KINDS: readonly Kind[] = ["store path, 2020", "store path, current", "customisation layer", "from_image"];
type Tag = "store" | "holder" | "sub" | "host" | "decoy";
type Outcome = Tag | "ENOENT" | "ENOTDIR" | "conf" | "alone";

/** The object each kind names: a store directory with a tagged file, a customisation layer directory, a base image. */
const OBJECT: Record<Kind, string> = {
  "store path, 2020": "obj-store",
  "store path, current": "obj-store",
  "customisation layer": "obj-custom",
  from_image: "obj-from.tar",
};

/** The fixture's directories: DIR (the --root) and the host directory OUT outside it, both in one temporary directory (the working directory of the runs). */
const top = mkdtempSync(join(tmpdir(), "sli-root-rule-"));
const DIR = join(top, "root");
const OUT = join(top, "outside");
after(() => rmSync(top, { recursive: true, force: true }));

interface Case {
  readonly name: string;
  /** The path naming object `x` (OUT is absolute). */
  readonly path: (x: string) => string;
  /** What every kind finds: the same outcome unless `kinds` says otherwise. */
  readonly expect: Outcome;
  readonly kinds?: Partial<Record<Kind, Outcome>>;
  /** What the code before the rule found, for the kinds where it differs. */
  readonly before?: Partial<Record<Kind, Outcome>>;
}

const THE_2020_CHECK = { "store path, 2020": "conf" } as const;

const CASES: readonly Case[] = [
  { name: "a store path", path: (x) => `/nix/store/${x}`, expect: "store" },
  {
    name: ".. after a symlink goes up from where the link leads",
    path: (x) => `/nix/store/to-sub/../${x}`,
    expect: "holder",
    before: { "store path, 2020": "ENOENT", "store path, current": "ENOENT", "customisation layer": "ENOENT", from_image: "ENOENT" },
  },
  {
    name: ".. above /nix leaves DIR",
    path: (x) => `/nix/store/../..${OUT}/${x}`,
    expect: "host",
    before: { "store path, 2020": "decoy", "store path, current": "decoy", "customisation layer": "decoy", from_image: "decoy" },
  },
  { name: ".. after a missing component", path: (x) => `/nix/store/missing/../${x}`, expect: "ENOENT" },
  {
    name: "a symlink among the parents",
    path: (x) => `/nix/store/to-sub/${x}`,
    expect: "sub",
    before: { "store path, 2020": "ENOENT", "store path, current": "ENOENT", "customisation layer": "ENOENT", from_image: "ENOENT" },
  },
  {
    name: "the path a symlink to another store path",
    path: (x) => `/nix/store/link-${x}`,
    expect: "holder",
    kinds: { "store path, current": "alone" },
    before: { "customisation layer": "ENOENT", from_image: "ENOENT" },
  },
  {
    name: "the path a relative symlink out of /nix",
    path: (x) => `/nix/store/up-${x}`,
    expect: "host",
    kinds: { "store path, current": "alone" },
    before: { "store path, 2020": "decoy", "customisation layer": "decoy", from_image: "decoy" },
  },
  { name: "a trailing slash", path: (x) => `/nix/store/${x}/`, expect: "store", kinds: { from_image: "ENOTDIR" } },
  {
    name: "a trailing slash on a symlink",
    path: (x) => `/nix/store/link-${x}/`,
    expect: "holder",
    // A store path loses the slash (PurePosixPath); open() follows the link, then needs a directory.
    kinds: { "store path, current": "alone", from_image: "ENOTDIR" },
    before: { "customisation layer": "ENOENT", from_image: "ENOENT" },
  },
  {
    name: "a path outside the store",
    path: (x) => `${OUT}/${x}`,
    expect: "host",
    kinds: THE_2020_CHECK,
    before: { "store path, current": "decoy", "customisation layer": "decoy" },
  },
  {
    name: "/nix/.. to a path outside the store",
    path: (x) => `/nix/..${OUT}/${x}`,
    expect: "host",
    kinds: THE_2020_CHECK,
    before: { "store path, current": "decoy", "customisation layer": "decoy", from_image: "decoy" },
  },
  {
    name: "a host symlink into /nix",
    path: (x) => `${OUT}/into-${x}`,
    expect: "store",
    kinds: { ...THE_2020_CHECK, "store path, current": "alone" },
    before: { "store path, current": "ENOENT", "customisation layer": "ENOENT", from_image: "ENOENT" },
  },
  {
    name: "a relative path, from the working directory",
    path: (x) => `outside/${x}`,
    expect: "host",
    kinds: THE_2020_CHECK,
    before: { "store path, current": "decoy", "customisation layer": "decoy" },
  },
];

function expected(c: Case, kind: Kind): Outcome {
  return c.kinds?.[kind] ?? c.expect;
}

// ---- the fixture ----

const marker = (tag: Tag): string => `ROOT-RULE:${tag}\n`;
const sha256 = (bytes: Buffer | string): string => createHash("sha256").update(bytes).digest("hex");
const pad = (bytes: Buffer): Buffer => Buffer.concat([bytes, Buffer.alloc((BLOCK_SIZE - (bytes.length % BLOCK_SIZE)) % BLOCK_SIZE)]);

function tarFile(name: string, content: Buffer): Buffer {
  const header = encodeHeader({ name, mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 1, type: TypeFlag.regular, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0 }, TAR_FORMAT_CURRENT);
  return Buffer.concat([header, pad(content)]);
}

/** A docker-archive base image whose one layer is the tag's marker. */
function baseImage(tag: Tag): Buffer {
  const layer = Buffer.from(marker(tag));
  const layerName = `${sha256(layer)}/layer.tar`;
  const config = JSON.stringify({ config: { Env: ["BASE=1"] }, rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layer)}`] } });
  const manifest = JSON.stringify([{ Config: "config.json", RepoTags: null, Layers: [layerName] }]);
  return Buffer.concat([tarFile("manifest.json", Buffer.from(manifest)), tarFile("config.json", Buffer.from(config)), tarFile(layerName, layer), Buffer.alloc(2 * BLOCK_SIZE)]);
}

/** The three objects, tagged, at `at` (a path below `top`). */
function objects(at: string, tag: Tag): TreeEntry[] {
  return [
    { path: `${at}/obj-store/tag`, type: "file", text: marker(tag) },
    { path: `${at}/obj-custom/layer.tar`, type: "file", text: marker(tag) },
    { path: `${at}/obj-custom/checksum`, type: "file", text: sha256(marker(tag)) },
    { path: `${at}/obj-from.tar`, type: "file", hex: baseImage(tag).toString("hex") },
  ];
}

const store = "/root/nix/store";
const names = ["obj-store", "obj-custom", "obj-from.tar"];
buildTree(top, [
  ...objects(store, "store"),
  ...objects(`${store}/holder`, "holder"),
  ...objects(`${store}/holder/sub`, "sub"),
  ...objects("/outside", "host"),
  ...objects(`/root${OUT}`, "decoy"),
  ...objects("/root/outside", "decoy"),
  { path: `${store}/to-sub`, type: "symlink", target: "/nix/store/holder/sub" },
  ...names.flatMap((x): TreeEntry[] => [
    { path: `${store}/link-${x}`, type: "symlink", target: `/nix/store/holder/${x}` },
    { path: `${store}/up-${x}`, type: "symlink", target: `../..${OUT}/${x}` },
    { path: `/outside/into-${x}`, type: "symlink", target: `/nix/store/${x}` },
  ]),
  // What the other kinds' runs name: a store path, a customisation layer without a tag.
  { path: `${store}/plain/file`, type: "file", text: "plain\n" },
  { path: `${store}/plain-custom/layer.tar`, type: "file", text: "no tag\n" },
  { path: `${store}/plain-custom/checksum`, type: "file", text: sha256("no tag\n") },
]);

// ---- the runs ----

/** The conf for `kind` with `path` in its place; the other kinds' places hold untagged paths. */
function confFor(kind: Kind, path: string): { text: string; generation: "2020" | "current" } {
  const base = { architecture: "amd64", config: { Env: ["A=1"] }, created: "1970-01-01T00:00:01+00:00", repo_tag: "root-rule:1" };
  const current = { mtime: "1970-01-01T00:00:01+00:00", uid: 0, gid: 0, uname: "root", gname: "root", store_dir: "", from_image: null as string | null };
  switch (kind) {
    case "store path, 2020":
      return { text: JSON.stringify({ ...base, store_layers: [[path]], customisation_layer: "/nix/store/plain-custom" }), generation: "2020" };
    case "store path, current":
      return { text: JSON.stringify({ ...base, ...current, store_layers: [[path]], customisation_layer: "/nix/store/plain-custom" }), generation: "current" };
    case "customisation layer":
      return { text: JSON.stringify({ ...base, store_layers: [["/nix/store/plain"]], customisation_layer: path }), generation: "2020" };
    case "from_image":
      return { text: JSON.stringify({ ...base, ...current, from_image: path, store_layers: [["/nix/store/plain"]], customisation_layer: "/nix/store/plain-custom" }), generation: "current" };
  }
}

interface Run {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

let confs = 0;
function writeConf(text: string): string {
  const file = join(top, `conf-${confs++}.json`);
  writeFileSync(file, text);
  return file;
}

const env = { ...process.env, TZ: "UTC" };

function runOurs(conf: string): Run {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, "dist", "cli.js"), "--root", DIR, conf], { cwd: top, env, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

function runReference(script: string, conf: string): Run {
  const result = spawnSync(WITH_STORE, [DIR, "--", pythonFor("3.13")!, script, conf], { cwd: top, env, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

/** What a run of ours found: the one tag in the image ("alone": none), or the errno / conf check of its error line. */
function outcomeOf(run: Run): string {
  if (run.status === 0) {
    const tags = [...new Set(run.stdout.toString("latin1").match(/ROOT-RULE:\w+/g) ?? [])].map((m) => m.slice("ROOT-RULE:".length));
    return tags.length === 0 ? "alone" : tags.join("+");
  }
  const line = run.stderr.trim();
  if (run.status !== 2 || line.includes("\n")) return `exit ${run.status}: ${line}`;
  if (line.includes("is not an absolute store path")) return "conf";
  return /\b(E[A-Z]+)\b/.exec(line)?.[1] ?? line;
}

const ours = new Map<string, { conf: string; run: Run }>();
function oursFor(c: Case, kind: Kind): { conf: string; run: Run } {
  const key = `${c.name}\0${kind}`;
  let found = ours.get(key);
  if (found === undefined) {
    const conf = writeConf(confFor(kind, c.path(OBJECT[kind])).text);
    found = { conf, run: runOurs(conf) };
    ours.set(key, found);
  }
  return found;
}

describe("--root: one rule for store paths, the customisation layer and from_image", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const wrong = KINDS.flatMap((kind) => {
        const found = outcomeOf(oursFor(c, kind).run);
        return found === expected(c, kind) ? [] : [`${kind} (${c.path(OBJECT[kind])}): expected ${expected(c, kind)}, found ${found}`];
      });
      assert.deepEqual(wrong, []);
    });
  }

  test("the table's `before` column differs from what is expected (each such case fails without the rule)", () => {
    for (const c of CASES) for (const [kind, was] of Object.entries(c.before ?? {})) assert.notEqual(was, expected(c, kind as Kind), `${c.name}, ${kind}`);
  });
});

/** The Python exception the reference ends with for each failing outcome. */
const REFERENCE_FAILURE: Partial<Record<Outcome, RegExp>> = {
  ENOENT: /^FileNotFoundError: \[Errno 2\]/,
  ENOTDIR: /^NotADirectoryError: \[Errno 20\]/,
  conf: /^AssertionError: Expecting absolute store paths/,
};

function agreesWithReference(c: Case, kind: Kind, script: string): string | undefined {
  const { conf, run } = oursFor(c, kind);
  const reference = runReference(script, conf);
  const failure = REFERENCE_FAILURE[expected(c, kind)];
  const last = reference.stderr.trim().split("\n").at(-1) ?? "";
  if (failure !== undefined) {
    return reference.status !== 0 && failure.test(last) ? undefined : `${kind}: the reference should fail with ${failure}, it exited ${reference.status}: ${last}`;
  }
  if (reference.status !== 0) return `${kind}: the reference failed: ${last}`;
  return reference.stdout.equals(run.stdout) ? undefined : `${kind}: our image differs from the reference's (${run.stdout.length} and ${reference.stdout.length} bytes)`;
}

/** The script of each generation, or why it cannot run here. */
function referenceScript(generation: "2020" | "current"): { script: string } | { why: string } {
  const why = generation === "2020" ? referenceUnavailable() : currentReferenceUnavailable();
  if (why !== undefined) return { why };
  if (pythonFor("3.13") === undefined) return { why: "python 3.13 not found" };
  return { script: generation === "2020" ? join(REFERENCE_DIR, "stream_layered_image.py") : currentReference()! };
}

for (const generation of ["2020", "current"] as const) {
  const kinds = KINDS.filter((kind) => confFor(kind, "").generation === generation);
  describe(`--root cases under with-store: the ${generation} script agrees (${kinds.join("; ")})`, () => {
    for (const c of CASES) {
      test(c.name, (t) => {
        const reference = referenceScript(generation);
        if ("why" in reference) {
          // The 2020 reference is required in CI; the current one never is.
          const why = `the ${generation} script: ${reference.why}`;
          return generation === "2020" ? skipOrFail(t, "reference", why) : skipOptional(t, why);
        }
        const problems = kinds.flatMap((kind) => agreesWithReference(c, kind, reference.script) ?? []);
        assert.deepEqual(problems, []);
      });
    }
  });
}
