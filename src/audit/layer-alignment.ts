/**
 * Which layer of A is compared with which of B.  By position alone, one
 * layer added in the middle would make every later pair differ; so the
 * layers both configs name by the same diff_id are matched first (their
 * longest common run, as diff(1) matches lines), and the layers between two
 * matches are paired by position, the rest being only in A or only in B.
 */

/** [index in A, index in B]; one of them undefined for a layer only one side has. */
export type LayerPair = readonly [number | undefined, number | undefined];

/** Longest common subsequence of the known diff_ids: the matched index pairs, in order. */
function matches(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): [number, number][] {
  const same = (i: number, j: number): boolean => a[i] !== undefined && a[i] === b[j];
  // lengths[i][j]: the longest common run of a[i..] and b[j..]; images have tens of layers, not thousands.
  const lengths = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = same(i, j) ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const found: [number, number][] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (same(i, j)) found.push([i++, j++]);
    else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) i++;
    else j++;
  }
  return found;
}

/** The gap before a match (or the end): paired by position, the longer side's rest alone. */
function gapPairs(fromA: number, toA: number, fromB: number, toB: number): LayerPair[] {
  const pairs: LayerPair[] = [];
  const common = Math.min(toA - fromA, toB - fromB);
  for (let k = 0; k < common; k++) pairs.push([fromA + k, fromB + k]);
  for (let i = fromA + common; i < toA; i++) pairs.push([i, undefined]);
  for (let j = fromB + common; j < toB; j++) pairs.push([undefined, j]);
  return pairs;
}

export function alignLayers(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): LayerPair[] {
  const pairs: LayerPair[] = [];
  let [i, j] = [0, 0];
  for (const [mi, mj] of [...matches(a, b), [a.length, b.length] as [number, number]]) {
    pairs.push(...gapPairs(i, mi, j, mj));
    if (mi < a.length) pairs.push([mi, mj]);
    [i, j] = [mi + 1, mj + 1];
  }
  return pairs;
}
