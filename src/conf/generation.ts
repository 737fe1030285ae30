/**
 * Which script generation a run writes: detected from the conf's keys
 * (detectGeneration), or chosen with --generation (parseGenerationOption).
 * What each generation means is data, in profile/generation.ts.
 */
import { CURRENT_KEYS, GENERATIONS, generationRules, isGeneration, type Generation } from "../profile/generation.ts";
import { ConfError } from "./read.ts";

/**
 * The generation a conf's keys say: the one whose `confKeys` are the
 * CURRENT_KEYS it holds (none: the 2020 script, which ignores unknown keys,
 * so its bytes stay what they were; all: the current one).  Some but not
 * all: a conf of the releases in between (2021–2024), whose script no test
 * has checked; refused rather than guessed.
 */
export function detectGeneration(has: (key: string) => boolean, source: string, makeError: (message: string) => Error = (message) => new ConfError(message)): Generation {
  const present = CURRENT_KEYS.filter((key) => has(key));
  const detected = GENERATIONS.find((generation) => {
    const { confKeys } = generationRules(generation);
    return confKeys.length === present.length && confKeys.every((key) => has(key));
  });
  if (detected !== undefined) return detected;
  const missing = CURRENT_KEYS.filter((key) => !has(key));
  throw makeError(
    `${source}: has ${present.map((k) => `"${k}"`).join(", ")} but lacks ${missing.map((k) => `"${k}"`).join(", ")}: ` +
      `a conf of the nixpkgs releases between 2021 and 2024 is not supported; choose a script with ${GENERATIONS.map((g) => `--generation ${g}`).join(" or ")}`,
  );
}

/** A --generation value, checked; undefined when absent (detect from the conf). */
export function parseGenerationOption(value: string | undefined, makeError: (message: string) => Error): Generation | undefined {
  if (value === undefined) return undefined;
  if (!isGeneration(value)) throw makeError(`--generation must be one of ${GENERATIONS.join(", ")}, not ${JSON.stringify(value)}`);
  return value;
}
