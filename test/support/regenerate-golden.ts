/**
 * Regenerates golden/layers/ from the reference: `npm run golden`
 * (root, python interpreters under /root/.pyenv/versions, unshare).
 * Slow part: the 8 GiB sparse case, run under 3.8 and 3.11 only.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PYTHON_VERSIONS } from "../../src/profile.js";
import type { PythonVersion } from "../../src/py/version.js";
import { LAYER_CASES, STORES } from "../fixtures/layer-fixtures.js";
import { buildTree } from "./tree-spec.js";
import { pythonFor, referenceUnavailable, runReferenceLayers } from "./reference.js";
import { LAYER_GOLDEN_DIR, type LayerManifest } from "./golden-layers.js";

/** Profiles whose tarfile bytes differ (3.8 vs the rest) are enough for the slow 8 GiB case. */
const HUGE_PROFILES: readonly PythonVersion[] = ["3.8", "3.11"];

function main(): void {
  const problem = referenceUnavailable();
  if (problem !== undefined) throw new Error(`cannot regenerate goldens: ${problem}`);
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
    writeFileSync(join(LAYER_GOLDEN_DIR, "fixtures.json"), JSON.stringify({ stores: STORES, cases: LAYER_CASES }, null, 1) + "\n");
    process.stderr.write(`wrote ${Object.keys(manifest).length} cases to ${LAYER_GOLDEN_DIR}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
