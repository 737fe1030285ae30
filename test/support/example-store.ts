/**
 * The example store of `npm start` (example/), copied with Nix's modes for a
 * test.  What the references wrote for it: golden-example.ts.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyAsNixStore, removeNixStoreCopy } from "../../src/demo/nix-store-copy.ts";
import { REPO_ROOT } from "./reference.ts";

export const EXAMPLE_DIR = join(REPO_ROOT, "example");
export const EXAMPLE_CONF = join(EXAMPLE_DIR, "conf.json");

export interface ExampleStore {
  /** The directory to pass as --root. */
  readonly root: string;
  remove(): void;
}

export function makeExampleStore(label = "example"): ExampleStore {
  const root = mkdtempSync(join(tmpdir(), `sli-${label}-`));
  copyAsNixStore(join(EXAMPLE_DIR, "nix"), join(root, "nix"));
  return { root, remove: () => removeNixStoreCopy(root) };
}
