/**
 * The store the whole-image differential tests share: one seeded random
 * tree of store paths plus customisation layer directories, and which of
 * them this machine could build completely (devices need CAP_MKNOD).
 */
import { writeFileSync } from "node:fs";
import { randomStore } from "./random-tree.ts";
import { randomCustomisationLayers } from "./random-conf.ts";
import { makeFixtureStore, type FixtureStore } from "./fixture-store.ts";
import { join } from "node:path";
import type { ProcessResult } from "./reference.ts";
import { compare } from "./image-compare.ts";

const STORE_PATHS = 25;
const CUSTOMISATION_LAYERS = 4;

export interface DifferentialStore {
  readonly store: FixtureStore;
  /** Store paths built completely. */
  readonly usable: string[];
  /** Customisation layer directories built completely. */
  readonly layersUsable: string[];
  /** Paths below usable store paths (the reference archives any path under its store dir). */
  readonly inner: string[];
}

export function buildDifferentialStore(seed: number, label: string): DifferentialStore {
  const isRoot = process.getuid?.() === 0;
  const tree = randomStore(seed, STORE_PATHS, isRoot);
  const customisation = randomCustomisationLayers(seed, CUSTOMISATION_LAYERS, isRoot);
  const store = makeFixtureStore([...tree.entries, ...customisation.entries], label);
  const usable = tree.storePaths.filter((p) => store.unavailableFor([p]) === undefined);
  const layersUsable = customisation.paths.filter((p) => store.unavailableFor([p]) === undefined);
  const inner = tree.entries
    .map((e) => e.path)
    .filter((path) => !tree.storePaths.includes(path) && usable.some((p) => path.startsWith(p + "/")) && store.unavailableFor([path]) === undefined);
  return { store, usable, layersUsable, inner };
}

/** Keeps both images of a mismatch on disk: `<stem>-reference.tar`, `<stem>-ours.tar`. */
export function keepImages(stem: string, reference: ProcessResult, ours: ProcessResult): void {
  if (reference.stdout.length > 0) writeFileSync(`${stem}-reference.tar`, reference.stdout);
  if (ours.stdout.length > 0) writeFileSync(`${stem}-ours.tar`, ours.stdout);
}

/**
 * One (conf, profile) pair of a differential run: undefined when our output
 * equals the reference's, else a report headed by `heading`, with `details`,
 * and both images kept beside the conf as `conf-<i>-py<python>-*.tar`.
 */
export function mismatchReport(
  store: FixtureStore,
  pair: { readonly conf: number; readonly python: string; readonly file: string },
  reference: ProcessResult,
  ours: ProcessResult,
  heading: string,
  details: readonly string[],
): string | undefined {
  const problems = compare(reference, ours);
  if (problems.length === 0) return undefined;
  const stem = join(store.root, `conf-${pair.conf}-py${pair.python}`);
  keepImages(stem, reference, ours);
  return [heading, ...problems.map((line) => `  ${line}`), ...details, `  files: ${pair.file}, ${stem}-{reference,ours}.tar (store under ${store.root})`].join("\n");
}
