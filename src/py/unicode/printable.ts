/**
 * `str.isprintable()` for a single code point, per CPython version, backed by
 * the generated tables in unicode-printable.ts (Python's repr() escapes
 * exactly the characters for which this returns false).
 */
import { NONPRINTABLE_BASE, NONPRINTABLE_DIFF } from "./unicode-printable.ts";
import type { PythonVersion } from "../version.ts";

/**
 * A set of code points as sorted "toggle" boundaries: a code point is in the
 * set iff an odd number of boundaries are <= it.  Inclusive [start, end]
 * pairs become [start, end + 1].
 */
type Boundaries = readonly number[];

function pairsToBoundaries(pairs: readonly number[]): Boundaries {
  return pairs.map((value, index) => (index % 2 === 0 ? value : value + 1));
}

/** Set algebra on boundary lists: a sweep over both lists in order. */
function combine(a: Boundaries, b: Boundaries, keep: (inA: boolean, inB: boolean) => boolean): Boundaries {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  let inA = false;
  let inB = false;
  let inOut = false;
  while (i < a.length || j < b.length) {
    const point = Math.min(a[i] ?? Infinity, b[j] ?? Infinity);
    if (a[i] === point) {
      inA = !inA;
      i++;
    }
    if (b[j] === point) {
      inB = !inB;
      j++;
    }
    const now = keep(inA, inB);
    if (now !== inOut) {
      out.push(point);
      inOut = now;
    }
  }
  return out;
}

const cache = new Map<PythonVersion, Boundaries>();

function nonPrintableBoundaries(profile: PythonVersion): Boundaries {
  let boundaries = cache.get(profile);
  if (boundaries === undefined) {
    const diff = NONPRINTABLE_DIFF[profile];
    const base = pairsToBoundaries(NONPRINTABLE_BASE);
    const added = combine(base, pairsToBoundaries(diff.nonPrintable), (x, y) => x || y);
    boundaries = combine(added, pairsToBoundaries(diff.printable), (x, y) => x && !y);
    cache.set(profile, boundaries);
  }
  return boundaries;
}

/** Python's `chr(codePoint).isprintable()` under the given interpreter version. */
export function isPrintable(codePoint: number, profile: PythonVersion): boolean {
  // ASCII is identical in every Unicode version: only 0x20..0x7E print.
  if (codePoint < 0x80) return codePoint >= 0x20 && codePoint < 0x7f;
  const boundaries = nonPrintableBoundaries(profile);
  // Count the boundaries <= codePoint (binary search for the first one above).
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((boundaries[mid] ?? Infinity) <= codePoint) lo = mid + 1;
    else hi = mid;
  }
  return lo % 2 === 0;
}
