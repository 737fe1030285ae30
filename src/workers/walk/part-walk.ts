/**
 * One walk of the digest cache's check: a whole layer, or one part of it
 * split at the entry its cache entry names (layerWalkPart), with the print
 * and the list of what it walked.  The same code on the main thread (which
 * pauses between slices, for the async API) and on the walk worker.
 */
import { layerWalk, layerWalkPart, type LayerWalkOptions, type WalkPart } from "../../layer/layer-walk.ts";
import { WalkPrint } from "../../store/walk-print.ts";
import { WalkedList } from "../../store/walked-list.ts";
import type { WalkedEntry } from "../../store/walk.ts";
import { YIELD, type Pause } from "../pause.ts";

export interface PartWalk {
  /** WalkPrint.digest() of the entries walked. */
  readonly walk: string;
  readonly list: WalkedList;
  /** False when the part's split entry was not there: the store changed since the entry. */
  readonly found: boolean;
}

/** Entries walked per pause: the async API's event loop turns between them. */
const ENTRIES_PER_PAUSE = 1024;

/** Walks the layer of `paths`, or the `part` of it; throws the walk's CannotArchiveError. */
export function* walkPart(paths: readonly string[], part: WalkPart | undefined, options: LayerWalkOptions): Generator<Pause, PartWalk> {
  const print = new WalkPrint();
  const list = new WalkedList();
  const walk: Generator<WalkedEntry, boolean | void> = part === undefined ? layerWalk(paths, options) : layerWalkPart(paths, part, options);
  for (;;) {
    const step = walk.next();
    if (step.done === true) return { walk: print.digest(), list, found: step.value !== false };
    print.add(step.value);
    list.push(step.value);
    if (list.length % ENTRIES_PER_PAUSE === 0) yield YIELD;
  }
}

/** walkPart without pauses (a worker thread has no event loop to let turn). */
export function walkPartSync(paths: readonly string[], part: WalkPart | undefined, options: LayerWalkOptions): PartWalk {
  const steps = walkPart(paths, part, options);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}
