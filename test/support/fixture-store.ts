import { mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTree, type TreeEntry } from "./tree-spec.js";

export interface FixtureStore {
  readonly root: string;
  /** Why a case cannot run here (it needs an entry this machine could not make), or undefined. */
  unavailableFor(paths: readonly string[]): string | undefined;
  remove(): void;
}

export function makeFixtureStore(entries: readonly TreeEntry[], label: string): FixtureStore {
  const root = mkdtempSync(join(tmpdir(), `sli-${label}-`));
  const { unavailable } = buildTree(root, entries);
  return {
    root,
    unavailableFor(paths) {
      const missing = unavailable.filter((u) => paths.some((p) => u.path.startsWith(p.replace(/\/+$/, "") + "/") || u.path === p));
      return missing.length === 0 ? undefined : missing.map((m) => `${m.path}: ${m.reason}`).join("; ");
    },
    remove() {
      // Without root, a 0000 directory of the fixtures can be neither listed nor emptied.
      if (process.getuid?.() !== 0) execFileSync("chmod", ["-R", "u+rwx", root]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
