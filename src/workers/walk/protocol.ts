/**
 * What LayerWalker and its worker exchange: a layer to check (its store
 * paths, how to walk them, which part), and back its print and walk, or that the
 * walk threw (the main thread then walks the layer itself, for the error's
 * exact words).  A shared counter of answers lets a thread blocked in
 * Atomics.wait see them come.
 */
import type { LayerStyle, WalkPart } from "../../layer/layer-walk.ts";
import type { PythonVersion } from "../../profile/python.ts";
import type { WalkedListParts } from "../../store/walked-list.ts";

export interface WalkRequest {
  readonly id: number;
  readonly paths: readonly string[];
  readonly root: string | undefined;
  readonly python: PythonVersion;
  readonly style: LayerStyle;
  /** Part of the layer split at an entry, or undefined for the whole layer. */
  readonly part: WalkPart | undefined;
}

export type WalkAnswer = { readonly id: number; readonly walk: string; readonly list: WalkedListParts; readonly found: boolean } | { readonly id: number; readonly failed: true };

/** Cells of the shared Int32Array: answers sent so far; 1 once the worker is exiting (its pending layers will not come). */
export const ANSWERS = 0;
export const EXITED = 1;
export const CELLS = 2;
