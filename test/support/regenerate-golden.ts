/**
 * Regenerates golden/layers/ and golden/images/ from the reference:
 * `npm run golden` (or `npm run golden -- layers|images|current|example|nix`;
 * current, the current nixpkgs script's goldens, and example, the example
 * store's images by both scripts, need SLI_CURRENT_REFERENCE=<script>; nix,
 * that script on the closure a real Nix builds from test/nix/closure.nix,
 * needs it too, and Nix)
 * (root, python interpreters under /root/.pyenv/versions, unshare).
 * Slow part: the 8 GiB sparse case, run under 3.8 and 3.11 only.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PYTHON_VERSIONS } from "../../src/profile/python.ts";
import type { PythonVersion } from "../../src/py/version.ts";
import { LAYER_CASES, STORES } from "../fixtures/layer-fixtures.ts";
import { buildTree } from "./tree-spec.ts";
import { currentReference, currentReferenceUnavailable, pythonFor, REPO_ROOT, referenceUnavailable, runCurrentReferenceImage, runReferenceImage, runReferenceLayers, type ProcessResult } from "./reference.ts";
import { CURRENT_CASES, CURRENT_STORE } from "../fixtures/current-fixtures.ts";
import { CURRENT_GOLDEN_DIR } from "./golden-current.ts";
import { IMAGE_CASES, IMAGE_STORE } from "../fixtures/image-fixtures.ts";
import { IMAGE_GOLDEN_DIR, type ImageManifest } from "./golden-images.ts";
import { LAYER_GOLDEN_DIR, type LayerManifest } from "./golden-layers.ts";
import { currentFixturesText, imageFixturesText, layerFixturesText } from "./fixture-descriptions.ts";
import type { TreeEntry } from "./tree-spec.ts";
import { NIX_GOLDEN_DIR, allPaths, buildClosure, checkRebuildsIdentical, narHashes, nixConfs, nixSystem, nixUnavailable, nixVersion, readNixManifest, type NixGoldenManifest } from "./nix.ts";
import { makeExampleStore } from "./example-store.ts";
import { EXAMPLE_CASES, EXAMPLE_GOLDEN_DIR, exampleInputs, type ExampleManifest } from "./golden-example.ts";

/** Profiles whose tarfile bytes differ (3.8 vs the rest) are enough for the slow 8 GiB case. */
const HUGE_PROFILES: readonly PythonVersion[] = ["3.8", "3.11"];

function regenerateLayers(): void {
  const work = mkdtempSync(join(tmpdir(), "sli-golden-"));
  try {
    const storeRoots: Record<string, string> = {};
    for (const [store, entries] of Object.entries(STORES)) {
      storeRoots[store] = join(work, store);
      const { unavailable } = buildTree(storeRoots[store], entries);
      if (unavailable.length > 0) throw new Error(`cannot build fixture store ${store}: ${JSON.stringify(unavailable)}`);
    }

    const outputs = join(work, "out");
    mkdirSync(outputs);
    const manifest: LayerManifest = {};
    for (const version of PYTHON_VERSIONS) {
      const python = pythonFor(version);
      if (python === undefined) throw new Error(`python ${version} not found`);
      for (const store of Object.keys(STORES)) {
        const cases = LAYER_CASES.filter((c) => c.store === store && (store !== "huge" || HUGE_PROFILES.includes(version)));
        if (cases.length === 0) continue;
        process.stderr.write(`reference ${version}: ${cases.length} ${store} case(s)\n`);
        runReferenceLayers(
          python,
          storeRoots[store]!,
          cases.map((c) => ({ paths: c.paths, mtime: c.mtime, out: join(outputs, `${c.name}.${version}`), digest: store === "huge" })),
        );
      }
    }

    for (const file of readdirSync(LAYER_GOLDEN_DIR, { withFileTypes: true })) {
      if (file.isFile() && file.name !== "README.md") rmSync(join(LAYER_GOLDEN_DIR, file.name));
    }
    for (const layerCase of LAYER_CASES) {
      const byContent = new Map<string, string>();
      const entry: Partial<Record<PythonVersion, string>> = {};
      for (const version of PYTHON_VERSIONS) {
        const produced = join(outputs, `${layerCase.name}.${version}`);
        let bytes: Buffer;
        try {
          bytes = readFileSync(produced);
        } catch {
          continue;
        }
        const sha = createHash("sha256").update(bytes).digest("hex");
        let file = byContent.get(sha);
        if (file === undefined) {
          file = `${layerCase.name}.${version}${layerCase.store === "huge" ? ".sha256.json" : ".tar"}`;
          copyFileSync(produced, join(LAYER_GOLDEN_DIR, file));
          byContent.set(sha, file);
        }
        entry[version] = file;
      }
      manifest[layerCase.name] = entry;
    }
    writeFileSync(join(LAYER_GOLDEN_DIR, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    writeFileSync(join(LAYER_GOLDEN_DIR, "fixtures.json"), layerFixturesText());
    process.stderr.write(`wrote ${Object.keys(manifest).length} cases to ${LAYER_GOLDEN_DIR}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Keeps one file per distinct content: `<case>.<first version>.<ext>`. */
class DedupedWriter {
  private readonly dir: string;
  private readonly byContent = new Map<string, string>();
  constructor(dir: string) {
    this.dir = dir;
  }
  write(base: string, ext: string, bytes: Buffer): string {
    const key = `${ext}:${createHash("sha256").update(bytes).digest("hex")}:${base.split(".")[0]}`;
    let file = this.byContent.get(key);
    if (file === undefined) {
      file = `${base}.${ext}`;
      writeFileSync(join(this.dir, file), bytes);
      this.byContent.set(key, file);
    }
    return file;
  }
}

/**
 * Runs `run` for every case under every CPython and records, in `dir`, the
 * image and stderr it wrote, or (on failure) its exit status, stdout size and
 * last stderr line (a traceback names machine paths).
 */
function recordOutcomes<C extends { name: string; conf: string }>(
  dir: string,
  store: readonly TreeEntry[],
  cases: readonly C[],
  run: (python: string, storeRoot: string, confPath: string, c: C) => ProcessResult,
  fixturesText: string,
): void {
  const work = mkdtempSync(join(tmpdir(), "sli-golden-images-"));
  try {
    const { unavailable } = buildTree(work, [...store]);
    if (unavailable.length > 0) throw new Error(`cannot build the image fixture store: ${JSON.stringify(unavailable)}`);
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(dir)) rmSync(join(dir, file));
    const writer = new DedupedWriter(dir);
    const manifest: ImageManifest = {};
    for (const imageCase of cases) {
      const confPath = join(work, `${imageCase.name}.json`);
      writeFileSync(confPath, imageCase.conf);
      const entry: ImageManifest[string] = {};
      for (const version of PYTHON_VERSIONS) {
        const python = pythonFor(version);
        if (python === undefined) throw new Error(`python ${version} not found`);
        const result = run(python, work, confPath, imageCase);
        const base = `${imageCase.name}.${version}`;
        if (result.status === 0) {
          entry[version] = { status: 0, image: writer.write(base, "tar", result.stdout), stderr: writer.write(base, "stderr", Buffer.from(result.stderr)) };
        } else {
          const lines = result.stderr.trimEnd().split("\n");
          entry[version] = { status: result.status ?? -1, stdoutBytes: result.stdout.length, error: lines[lines.length - 1] ?? "" };
        }
      }
      manifest[imageCase.name] = entry;
      process.stderr.write(`image ${imageCase.name}: ${Object.values(entry).map((e) => e.status).join(",")}\n`);
    }
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    writeFileSync(join(dir, "fixtures.json"), fixturesText);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function regenerateImages(): void {
  recordOutcomes(IMAGE_GOLDEN_DIR, IMAGE_STORE, IMAGE_CASES, (python, root, confPath, c) => runReferenceImage(python, root, confPath, c.tz), imageFixturesText());
}

/** golden/current/: the current nixpkgs script (SLI_CURRENT_REFERENCE), TZ=UTC. */
function regenerateCurrent(): void {
  const problem = currentReferenceUnavailable();
  if (problem !== undefined) throw new Error(`cannot regenerate golden/current: ${problem}`);
  recordOutcomes(CURRENT_GOLDEN_DIR, CURRENT_STORE, CURRENT_CASES, (python, root, confPath, c) => runCurrentReferenceImage(python, root, c.args, confPath), currentFixturesText());
}

/** Why golden/nix/ cannot be made here (no Nix, not root, no SLI_CURRENT_REFERENCE), or undefined. */
function nixGoldenUnavailable(): string | undefined {
  const script = currentReference();
  if (script === undefined || !existsSync(script)) return currentReferenceUnavailable();
  return nixUnavailable()?.why;
}

/**
 * golden/nix/: the current script (SLI_CURRENT_REFERENCE, TZ=UTC) under
 * every CPython on the closure this machine's Nix builds from
 * test/nix/closure.nix, in the real /nix/store.  First every derivation is
 * built again and compared (`nix-store --check`): the goldens hold store
 * paths and bytes that any Nix building the expression on this system gets,
 * which the test checks (paths and NAR hashes) before comparing images.
 */
function regenerateNix(): void {
  const problem = nixGoldenUnavailable();
  if (problem !== undefined) throw new Error(`cannot regenerate golden/nix: ${problem}`);
  const closure = buildClosure();
  checkRebuildsIdentical(allPaths(closure));
  const system = nixSystem();
  if (existsSync(join(NIX_GOLDEN_DIR, "manifest.json"))) {
    const previous = readNixManifest();
    if (JSON.stringify(allPaths(previous)) !== JSON.stringify(allPaths(closure))) {
      process.stderr.write(`golden/nix: the store paths differ from the committed ones (made on ${previous.system} with ${previous.nix}); expected only when test/nix/closure.nix changed\n`);
    }
  }
  const conf = nixConfs(closure).current;
  const work = mkdtempSync(join(tmpdir(), "sli-golden-nix-"));
  try {
    const confPath = join(work, "conf-current.json");
    writeFileSync(confPath, conf);
    mkdirSync(NIX_GOLDEN_DIR, { recursive: true });
    for (const file of readdirSync(NIX_GOLDEN_DIR)) rmSync(join(NIX_GOLDEN_DIR, file));
    const writer = new DedupedWriter(NIX_GOLDEN_DIR);
    const images: Record<string, { image: string; stderr: string }> = {};
    for (const version of PYTHON_VERSIONS) {
      const python = pythonFor(version);
      if (python === undefined) throw new Error(`python ${version} not found`);
      // The real /nix/store: no with-store.
      const result = spawnSync(python, [currentReference()!, confPath], { env: { ...process.env, TZ: "UTC" }, maxBuffer: 1 << 30 });
      if (result.status !== 0) throw new Error(`the current script under ${version} exited with ${result.status}: ${result.stderr.toString("utf8").trim().split("\n").pop()}`);
      const base = `current.${version}`;
      images[version] = { image: writer.write(base, "tar", result.stdout), stderr: writer.write(base, "stderr", result.stderr) };
    }
    const manifest: NixGoldenManifest = { nix: nixVersion(), system, ...closure, narHashes: narHashes(allPaths(closure)), conf: "conf-current.json", images };
    writeFileSync(join(NIX_GOLDEN_DIR, "conf-current.json"), conf);
    writeFileSync(join(NIX_GOLDEN_DIR, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    process.stderr.write(`golden/nix: ${Object.keys(images).length} CPython versions, ${new Set(Object.values(images).map((i) => i.image)).size} distinct images\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * golden/example/: the example store (example/, copied with Nix's modes) as
 * the 2020 reference writes conf.json and the current script
 * conf-current.json (SLI_CURRENT_REFERENCE), under CPython 3.13, TZ=UTC.
 */
function regenerateExample(): void {
  const problem = currentReferenceUnavailable();
  if (problem !== undefined) throw new Error(`cannot regenerate golden/example: ${problem}`);
  const store = makeExampleStore("golden-example");
  try {
    mkdirSync(EXAMPLE_GOLDEN_DIR, { recursive: true });
    for (const file of readdirSync(EXAMPLE_GOLDEN_DIR)) rmSync(join(EXAMPLE_GOLDEN_DIR, file));
    const manifest: Partial<ExampleManifest> = {};
    for (const example of EXAMPLE_CASES) {
      const python = pythonFor(example.python);
      if (python === undefined) throw new Error(`python ${example.python} not found`);
      const result = example.script === "2020" ? runReferenceImage(python, store.root, example.conf, "UTC") : runCurrentReferenceImage(python, store.root, [], example.conf);
      if (result.status !== 0) throw new Error(`the ${example.script} script failed on ${example.conf} (exit ${result.status}): ${result.stderr}`);
      const base = `${example.name}.${example.python}`;
      writeFileSync(join(EXAMPLE_GOLDEN_DIR, `${base}.tar`), result.stdout);
      writeFileSync(join(EXAMPLE_GOLDEN_DIR, `${base}.stderr`), result.stderr);
      manifest[example.name] = { conf: relative(REPO_ROOT, example.conf), script: example.script, python: example.python, image: `${base}.tar`, stderr: `${base}.stderr` };
      process.stderr.write(`example ${example.name}: ${result.stdout.length} bytes\n`);
    }
    writeFileSync(join(EXAMPLE_GOLDEN_DIR, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
    writeFileSync(join(EXAMPLE_GOLDEN_DIR, "inputs.json"), JSON.stringify(exampleInputs(), null, 2) + "\n");
  } finally {
    store.remove();
  }
}

function main(what: string | undefined): void {
  if (what !== undefined && !["layers", "images", "current", "example", "nix"].includes(what)) throw new Error(`npm run golden -- ${what}: expected layers, images, current, example or nix`);
  // golden/nix/ reads the real /nix/store: no with-store needed.
  if (what === "nix") return regenerateNix();
  const problem = referenceUnavailable();
  if (problem !== undefined) throw new Error(`cannot regenerate goldens: ${problem}`);
  if (what === undefined || what === "layers") regenerateLayers();
  if (what === undefined || what === "images") regenerateImages();
  // The current script is public code kept outside the repository: only with SLI_CURRENT_REFERENCE.
  if (what === "current" || (what === undefined && currentReferenceUnavailable() === undefined)) regenerateCurrent();
  else if (what === undefined) process.stderr.write(`golden/current/ left as it is: ${currentReferenceUnavailable()}\n`);
  if (what === "example" || (what === undefined && currentReferenceUnavailable() === undefined)) regenerateExample();
  else if (what === undefined) process.stderr.write(`golden/example/ left as it is: ${currentReferenceUnavailable()}\n`);
  if (what === undefined && nixGoldenUnavailable() === undefined) regenerateNix();
  else if (what === undefined) process.stderr.write(`golden/nix/ left as it is: ${nixGoldenUnavailable()}\n`);
}

main(process.argv[2]);
