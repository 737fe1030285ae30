import { mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTree, type TreeEntry } from "./tree-spec.ts";
import { skipOrFail } from "./requirements.ts";

export interface FixtureStore {
  readonly root: string;
  /**
   * Why a case reading `paths` cannot run here (it needs an entry this
   * machine could not make), or undefined.  A path that is a symlink to
   * another path of the store counts that path too (archive_paths_to reads
   * through it).
   */
  unavailableFor(paths: readonly string[]): string | undefined;
  remove(): void;
}

/** The paths and, transitively, the targets of those that are symlinks within the tree. */
function withSymlinkTargets(entries: readonly TreeEntry[], paths: readonly string[]): string[] {
  const seen = new Set<string>();
  const pending = paths.map((p) => p.replace(/\/+$/, ""));
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (seen.has(path)) continue;
    seen.add(path);
    const entry = entries.find((e) => e.path === path);
    if (entry?.type === "symlink" && entry.target.startsWith("/")) pending.push(entry.target.replace(/\/+$/, ""));
  }
  return [...seen];
}

export function makeFixtureStore(entries: readonly TreeEntry[], label: string): FixtureStore {
  const root = mkdtempSync(join(tmpdir(), `sli-${label}-`));
  const { unavailable } = buildTree(root, entries);
  return {
    root,
    unavailableFor(paths) {
      const read = withSymlinkTargets(entries, paths);
      const missing = unavailable.filter((u) => read.some((p) => u.path.startsWith(p + "/") || u.path === p));
      return missing.length === 0 ? undefined : missing.map((m) => `${m.path}: ${m.reason}`).join("; ");
    },
    remove() {
      // Without root, a 0000 directory of the fixtures can be neither listed nor emptied.
      if (process.getuid?.() !== 0) execFileSync("chmod", ["-R", "u+rwx", root]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Skips the test (or, under SLI_REQUIRE_PRIVILEGE=1, fails it) when `paths`
 * need entries this machine could not make; true when it did.
 */
export function skipIfUnavailable(t: { skip(message?: string): void }, store: FixtureStore, paths: readonly string[]): boolean {
  const unavailable = store.unavailableFor(paths);
  if (unavailable === undefined) return false;
  skipOrFail(t, "privilege", `fixture entries cannot be created on this machine: ${unavailable}`);
  return true;
}
