/**
 * What the py-datetime tests share: the CPython profiles, our side of a
 * conversion in the shape the Python driver prints, running a driver under
 * a TZ, a bounded pool of jobs, seeded generators, and where a zone's
 * offset changes.  Only helpers: no side effects when loaded.
 */
import { runPython } from "./python.ts";
import { isoformat, type LocalTimeZone, parseCreated, type PyDateTime, PyDateTimeError, resolveLocalTimeZone, timestampSeconds } from "../../src/py/datetime/datetime.ts";
import type { PythonVersion } from "../../src/py/version.ts";
import { Prng } from "./prng.ts";

export const VERSIONS: readonly PythonVersion[] = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];

/** What one conversion gives: the error line, or isoformat + timestamp (or its error). */
export type Outcome = string;

function describeError(e: unknown): string {
  if (e instanceof PyDateTimeError) return `${e.pythonType}: ${e.message}`;
  throw e;
}

/** Our side, in the same shape as PY_DRIVER (py-datetime-differential.test.ts) prints. */
export function ours(value: string, python: PythonVersion, zone: LocalTimeZone): Outcome {
  let dt: PyDateTime;
  try {
    dt = parseCreated(value, python);
  } catch (e) {
    return `error ${describeError(e)}`;
  }
  const ts = (d: PyDateTime): string => {
    try {
      return String(timestampSeconds(d, zone));
    } catch (e) {
      return `error ${describeError(e)}`;
    }
  };
  // Naive times also with fold=1 (fromisoformat itself always gives fold=0).
  const fold1 = dt.utcoffset === null ? ` | fold=1: ${ts({ ...dt, fold: 1 })}` : "";
  return `${isoformat(dt)} | ${ts(dt)}${fold1}`;
}

/** Runs PY_DRIVER-style code in a fresh interpreter with the given TZ. */
export async function runPythonJson<T>(python: string, code: string, tz: string | undefined, input: unknown, extraEnv: Record<string, string> = {}): Promise<T> {
  const env = { ...process.env, ...extraEnv };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  return JSON.parse(await runPython(python, code, JSON.stringify(input), env)) as T;
}

/** Runs `jobs` at most `limit` at a time (the interpreters work while we compute). */
export async function pool<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

export function zoneFor(tz: string | undefined): LocalTimeZone {
  return resolveLocalTimeZone({ TZ: tz });
}

/** A seeded source of numbers in [0, 1): mulberry32 (./prng.ts), small and good enough to spread test inputs. */
export function prng(seed: number): () => number {
  const source = new Prng(seed);
  return () => source.next();
}

export class Gen {
  readonly rand: () => number;
  constructor(rand: () => number) {
    this.rand = rand;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.rand() < p;
  }
  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
}

/** Instants (epoch seconds) where `zone`'s offset changes within `year`. */
export function offsetChanges(zone: LocalTimeZone, year: number): number[] {
  const start = Date.UTC(year, 0, 1) / 1000;
  const changes: number[] = [];
  let prev = zone.lookup(start - 86400).gmtoff;
  for (let day = 0; day <= 366; day++) {
    const t = start + day * 86400;
    const cur = zone.lookup(t).gmtoff;
    if (cur !== prev) {
      let lo = t - 86400;
      let hi = t;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zone.lookup(mid).gmtoff === prev) lo = mid;
        else hi = mid;
      }
      changes.push(hi);
      prev = cur;
    }
  }
  return changes;
}
