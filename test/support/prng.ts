/** A small seeded PRNG (mulberry32) so random test inputs are reproducible. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
}

/** Where a differential test's seed came from. */
export type SeedOrigin = "from SLI_SEED" | "fixed for CI" | "drawn for this run";

/**
 * The seed of a differential test: SLI_SEED when set (to repeat a run), the
 * test's fixed `ciSeed` under CI=true (a CI run is repeatable, and fails
 * only on a change), else a new one per run (local runs explore).  The
 * test prints it with its origin (in its name), so any run can be repeated.
 */
export function differentialSeed(ciSeed: number, env: NodeJS.ProcessEnv = process.env, draw: () => number = Math.random): { seed: number; origin: SeedOrigin } {
  const given = env["SLI_SEED"];
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`SLI_SEED=${JSON.stringify(given)}: not a seed (a non-negative integer)`);
    return { seed, origin: "from SLI_SEED" };
  }
  if (env["CI"] === "true" || env["CI"] === "1") return { seed: ciSeed, origin: "fixed for CI" };
  return { seed: Math.floor(draw() * 2 ** 31), origin: "drawn for this run" };
}

/** How a test names its seed: `SLI_SEED=123, fixed for CI`. */
export function describeSeed({ seed, origin }: { seed: number; origin: SeedOrigin }): string {
  return `SLI_SEED=${seed}, ${origin}`;
}
