/**
 * An oracle: which reference script under which CPython, the pair whose
 * bytes a run reproduces (`--generation` × `--python`).  One word per
 * concept: the *generation* is the script (generation.ts), the *profile* the
 * CPython version (python.ts), the *oracle* the pair; verify searches the
 * oracles for the one that would have written an image.
 */
import { GENERATIONS, type Generation } from "./generation.ts";
import { PYTHON_VERSIONS, type PythonVersion } from "./python.ts";

export interface Oracle {
  readonly generation: Generation;
  readonly python: PythonVersion;
}

/** Every oracle: each generation in turn, under each CPython from the oldest. */
export const ORACLES: readonly Oracle[] = GENERATIONS.flatMap((generation) => PYTHON_VERSIONS.map((python) => ({ generation, python })));
