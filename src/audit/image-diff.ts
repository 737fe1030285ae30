/**
 * `diff IMAGE-A IMAGE-B`'s engine: the configs compared whole, then the
 * layers index by index, one at a time (memory stays that of one pair of
 * layers whatever the image), and the verdict: which findings count as a
 * difference, and the exit code.
 */
import { diffConfigs } from "./config-diff.ts";
import { alignLayers } from "./layer-alignment.ts";
import { diffLayer } from "./layer-diff.ts";
import type { ConfigDifference, DiffOptions, DiffSide, ImageDiff, LayerDiff } from "./diff-types.ts";

/** `diff`'s exit codes: 2 is any DiffInputError (or a transport's failure) before a verdict. */
export const DIFF_EXIT = { same: 0, differs: 1, cannotCompare: 2 } as const;

/** `--semantic`: every ignore option. */
export const SEMANTIC: DiffOptions = { ignoreTimestamps: true, ignoreOwners: true, ignoreHistory: true };

/**
 * Config differences that count: a diff_id's is the layer's to judge
 * (the layer comparison says whether its content differs).
 */
export function countedConfig(differences: readonly ConfigDifference[]): ConfigDifference[] {
  return differences.filter((difference) => difference.layer === undefined);
}

/** Whether any ignore option is on: then only what the options keep can differ. */
function ignoresSomething(options: DiffOptions): boolean {
  return options.ignoreTimestamps === true || options.ignoreOwners === true || options.ignoreHistory === true;
}

/**
 * Whether a layer counts as a difference.  An "equivalent" layer (members
 * equal under the options, bytes not: member order, header encoding,
 * padding, or ignored fields) extracts to the same tree: with an ignore
 * option it is no difference; without one it is, because its digest
 * differs and an auditor asking for no leniency gets none.
 */
export function layerDiffers(layer: LayerDiff, options: DiffOptions): boolean {
  if (layer.status === "equivalent") return !ignoresSomething(options);
  return layer.status === "differs" || layer.status === "added" || layer.status === "removed";
}

/** Compares two images; throws DiffInputError when one cannot be read. */
export async function diffImages(a: DiffSide, b: DiffSide, options: DiffOptions = {}): Promise<ImageDiff> {
  const config = diffConfigs(a, b, options);
  const layers: LayerDiff[] = [];
  const pairs = alignLayers(
    a.layers.map((layer) => layer.diffId),
    b.layers.map((layer) => layer.diffId),
  );
  for (const [ia, ib] of pairs) {
    const layer = await diffLayer((ia ?? ib)!, { side: a.name, layer: ia === undefined ? undefined : a.layers[ia] }, { side: b.name, layer: ib === undefined ? undefined : b.layers[ib] }, options);
    layers.push({ ...layer, indexes: [ia, ib] });
  }
  const same = countedConfig(config).length === 0 && a.layers.length === b.layers.length && !layers.some((layer) => layerDiffers(layer, options));
  return { names: [a.name, b.name], options, same, config, layerCounts: [a.layers.length, b.layers.length], layers };
}

export function diffExitCode(diff: ImageDiff): 0 | 1 {
  return diff.same ? DIFF_EXIT.same : DIFF_EXIT.differs;
}
