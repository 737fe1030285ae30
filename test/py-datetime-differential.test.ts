/**
 * src/py/datetime against CPython 3.8-3.13, seeded differential tests, one
 * python process per (version, TZ): thousands of generated strings (valid,
 * near-valid, invalid, DST gap/fold wall times, range edges) must give the
 * same acceptance, error message, isoformat() and int(timestamp()) (fold 0
 * and 1); int/int true division must round the same.  Without interpreters
 * the tests skip, loudly.
 */
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import type { LocalTimeZone } from "../src/py/datetime/datetime.ts";
import { trueDivide } from "../src/py/datetime/timestamp.ts";
import { pythonFor } from "./support/reference.ts";
import { isRequired, missingMessage, skipOrFail } from "./support/requirements.ts";
import { Gen, offsetChanges, ours, type Outcome, pool, prng, runPythonJson, VERSIONS, zoneFor } from "./support/py-datetime.ts";

/** Reads a JSON list of str on stdin, prints one JSON list of outcomes. */
const PY_DRIVER = String.raw`
import sys, json
from datetime import datetime
out = []
for s in json.loads(sys.stdin.buffer.read()):
    try:
        d = datetime.fromisoformat(s)
    except Exception as e:
        out.append("error %s: %s" % (type(e).__name__, e))
        continue
    def ts(d):
        try:
            return str(int(d.timestamp()))
        except Exception as e:
            return "error %s: %s" % (type(e).__name__, e)
    fold1 = " | fold=1: " + ts(d.replace(fold=1)) if d.tzinfo is None else ""
    out.append("%s | %s%s" % (d.isoformat(), ts(d), fold1))
sys.stdout.write(json.dumps(out))
`;

const pad = (n: number, w: number): string => String(n).padStart(w, "0");

function randomYear(g: Gen): number {
  return g.pick([
    () => g.int(1, 9999),
    () => g.int(1960, 2050),
    () => g.pick([1, 2, 3, 4, 99, 100, 400, 1000, 1582, 1900, 1969, 1970, 2000, 2037, 2038, 2242, 2243, 9998, 9999]),
    () => g.int(2038, 2400),
  ])();
}

function daysIn(y: number, m: number): number {
  return [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** What isoformat() prints, for random values: valid in every version. */
function printed(g: Gen): string {
  const y = randomYear(g);
  const mo = g.int(1, 12);
  const d = g.chance(0.2) ? daysIn(y, mo) : g.int(1, daysIn(y, mo));
  let s = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}`;
  if (g.chance(0.1)) return s;
  s += g.pick(["T", "T", " ", "t", "_", "é", "€", "😀", "\ud800", "\udfff", "\u0000", "W", "-", "+", "1", ":"]);
  s += `${pad(g.int(0, 23), 2)}`;
  if (g.chance(0.9)) s += `:${pad(g.int(0, 59), 2)}`;
  if (g.chance(0.8)) s += `:${pad(g.int(0, 59), 2)}`;
  if (g.chance(0.5)) s += "." + (g.chance(0.3) ? g.digits(3) : g.pick(["999999", "000001", "500000", "999990", g.digits(6)]));
  if (g.chance(0.5)) {
    const sign = g.pick(["+", "-"]);
    s += `${sign}${pad(g.int(0, 23), 2)}:${pad(g.pick([0, 0, 30, 45, g.int(0, 59)]), 2)}`;
    if (g.chance(0.2)) s += `:${pad(g.int(0, 59), 2)}`;
    if (g.chance(0.1)) s += `:${pad(g.int(0, 59), 2)}.${g.digits(6)}`;
  }
  return s;
}

/** ISO 8601 spellings 3.11+ accept (and 3.8-3.10 mostly reject). */
function modern(g: Gen): string {
  const y = randomYear(g);
  const basic = g.chance(0.4);
  let s = pad(y, 4);
  if (g.chance(0.25)) {
    const w = g.pick([1, 2, 52, 53, 0, 54, g.int(1, 53)]);
    s += `${basic ? "" : "-"}W${pad(w, 2)}`;
    if (g.chance(0.7)) s += `${basic ? "" : "-"}${g.int(0, 8)}`;
  } else {
    const mo = g.int(1, 12);
    s += basic ? `${pad(mo, 2)}${pad(g.int(1, daysIn(y, mo)), 2)}` : `-${pad(mo, 2)}-${pad(g.int(1, daysIn(y, mo)), 2)}`;
  }
  if (g.chance(0.15)) return s;
  s += g.pick(["T", "T", " ", "x", "é", "\ud800", "1"]);
  const tsep = g.chance(0.5) ? ":" : "";
  s += pad(g.int(0, 24), 2);
  if (g.chance(0.8)) s += tsep + pad(g.int(0, 60), 2);
  if (g.chance(0.6)) s += tsep + pad(g.int(0, 60), 2);
  if (g.chance(0.4)) s += g.pick([".", ","]) + g.digits(g.int(0, 10));
  const tz = g.int(0, 8);
  if (tz === 1) s += "Z";
  else if (tz >= 2) {
    s += g.pick(["+", "-"]) + pad(g.pick([0, 1, 5, 14, 23, 24, 99]), 2);
    const osep = g.chance(0.5) ? ":" : "";
    if (g.chance(0.8)) s += osep + pad(g.pick([0, 30, 59, 60, 99]), 2);
    if (g.chance(0.3)) s += osep + pad(g.int(0, 60), 2);
    if (g.chance(0.2)) s += g.pick([".", ","]) + g.digits(g.int(0, 8));
  }
  return s;
}

const MUTATION_ALPHABET = [..."0123456789-:.,TWZ+ tz\u0000é€😀", "\ud800", "\udc00"];

/** A few random edits of a good string: mostly near-valid, often invalid. */
function mutated(g: Gen, base: string): string {
  const chars = Array.from(base);
  const edits = g.int(1, 3);
  for (let i = 0; i < edits; i++) {
    const at = g.int(0, chars.length);
    const op = g.int(0, 3);
    if (op === 0) chars.splice(at, 0, g.pick(MUTATION_ALPHABET));
    else if (op === 1) chars.splice(at, 1);
    else if (op === 2) chars.splice(at, 1, g.pick(MUTATION_ALPHABET));
    else chars.splice(at, 0, chars[at] ?? "0");
  }
  return chars.join("");
}

/** Hand-picked edges: range limits, float rounding, parser corner cases. */
const EDGE_STRINGS: readonly string[] = [
  "0001-01-01", "0001-01-01T00:00:00", "0001-01-01T23:59:59", "0001-01-02T00:00:00", "0001-01-03T00:00:00",
  "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00-23:59:59.999999",
  "9999-12-31", "9999-12-31T23:59:59", "9999-12-31T23:59:59.999999", "9999-12-30T23:59:59", "9999-12-31T00:00:00",
  "9999-12-31T23:59:59.999999+00:00", "9999-12-31T23:59:59.999999-23:59", "9999-12-31T23:59:59.999990+00:00",
  "9999-12-31T23:59:59.999985+00:00", "9999-12-31T23:59:59.999970+00:00", "5000-06-15T12:00:00.999999+00:00",
  "1969-12-31T23:59:59.999999+00:00", "1969-12-31T23:59:59.5+00:00", "1969-12-31T23:59:59.500000",
  "1970-01-01T00:00:00.000001-00:00:00.000001", "1970-01-01T00:00:00+00:00:00.000001", "1970-01-01T00:00:00-00:00:01.000001",
  "2020-01-01T12:00+00:99", "2020-01-01T12:00+24:00", "2020-01-01T12:00-24:00", "2020-01-01T12:00+23:59:59.999999",
  "2020-13-01T00:00+24:00", "2020-00-10", "2020-02-30", "2019-02-29", "2020-02-29", "2100-02-29", "2000-02-29", "0000-01-01",
  "2020-01-01T24:00", "2020-01-01T24:00:00", "2020-12-31T24:00:00", "2020-01-01T12:60", "2020-01-01T12:00:60",
  "2020-01-01T12000012", "2020-01-01T12:00:00:123", "2020-01-01T12:00:00.", "2020-01-01T12:00:00.Z", "2020-01-01T12\u0000",
  "2020-01-01T12:00\u0000", "2020-01-01\u0000", "2020-01-01T", "2020-01-01 ", "2020-W01-1", "2020W011", "2020W01", "2020-W53",
  "2021-W53", "2026-W53-7", "0000-W01-1", "0000-W52-7", "0000-W53-1", "0001-W01-1", "0004-W53-7", "9999-W52-5", "9999-W52-6",
  "9999-W52-7", "9999-W53-1", "2020-001", "2020001", "2020-W01-", "2020-W01T12", "2020W01112:00", "2020-W01-1T12",
  "20200101T120000Z", "20200101T120000,5-0130", "2020-01-01T12:00:00Z00", "", "now ", "Now", "2020", "2020-01",
  "2020-01-01T12:00:00+00:00\u0000", "2020-01-01T12:00:00.123456789+05:30:15.999", "2020-01-01T12:00:00+05:30:15,5",
  "\ud8002020-01-01", "2020-01\ud800-01", "2020-01-\ud80001", "2020-01-01\ud800\ud800", "2020-01-01\udc0012:00",
  "1900-01-01T00:00:00", "1901-12-13T20:45:52", "1901-12-13T20:45:51", "2038-01-19T03:14:07", "2038-01-19T03:14:08",
  "1883-11-18T12:03:57", "1893-04-01T00:00:00", "1847-12-01T00:00:00", "1916-04-30T23:00:00", "1945-04-02T02:30:00",
  "2011-12-29T23:59:59", "2011-12-30T12:00:00", "2011-12-31T00:00:00",
];

function wallClock(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19);
}

/** Naive wall times just around, inside and after each offset change. */
function transitionWallTimes(zone: LocalTimeZone, years: readonly number[]): string[] {
  const out: string[] = [];
  for (const year of years) {
    for (const t of offsetChanges(zone, year)) {
      const before = zone.lookup(t - 1).gmtoff;
      const after = zone.lookup(t).gmtoff;
      for (const delta of [-3600, -1, 0, 1, 900, 1800, 3599, 3600, 5400]) {
        out.push(wallClock(t + before + delta), wallClock(t + after + delta));
      }
      out.push(`${wallClock(t + before - 1)}.999999`, `${wallClock(t + Math.min(before, after) + 60)}.5`);
    }
  }
  return out;
}

const TRANSITION_YEARS = [1883, 1916, 1918, 1945, 1968, 1970, 1971, 1996, 2011, 2021, 2037, 2038, 2039, 2100, 2242, 2243, 2500, 9998];

function generateCases(seed: number, count: number): string[] {
  const g = new Gen(prng(seed));
  const out: string[] = [...EDGE_STRINGS];
  while (out.length < count) {
    const kind = g.int(0, 9);
    if (kind < 3) out.push(printed(g));
    else if (kind < 6) out.push(modern(g));
    else out.push(mutated(g, g.chance(0.5) ? printed(g) : modern(g)));
  }
  return out;
}

interface DiffZone {
  tz: string | undefined;
  /** How many generated strings to run under this zone. */
  count: number;
}

const DIFF_ZONES: readonly DiffZone[] = [
  { tz: "UTC", count: 2500 },
  { tz: "America/New_York", count: 2500 },
  { tz: "Europe/Berlin", count: 2500 },
  { tz: "Australia/Lord_Howe", count: 2500 },
  { tz: "Europe/London", count: 400 },
  { tz: "Pacific/Apia", count: 400 },
  { tz: ":America/Sao_Paulo", count: 300 },
  { tz: "right/Europe/Paris", count: 300 },
  { tz: "EST5EDT,M3.2.0,M11.1.0", count: 300 },
  { tz: "<+0530>-5:30", count: 200 },
  { tz: "AAA3BBB", count: 300 },
  { tz: "NZST-12NZDT,M9.5.0,M4.1.0/3", count: 300 },
  { tz: "Foo/Bar", count: 200 },
  { tz: "", count: 100 },
  { tz: undefined, count: 100 },
];

test("differential: fromisoformat / isoformat / int(timestamp()) against CPython 3.8-3.13", async (t) => {
  const interpreters = VERSIONS.map((v) => [v, pythonFor(v)] as const);
  const missing = interpreters.filter(([, p]) => p === undefined).map(([v]) => v);
  if (missing.length === VERSIONS.length) return skipOrFail(t, "reference", "differential datetime test: no python interpreter found (looked for CPython 3.8-3.13)", true);
  if (missing.length > 0 && isRequired("reference")) assert.fail(missingMessage("reference", `differential datetime test: no interpreter for ${missing.join(", ")}`));
  if (missing.length > 0) t.diagnostic(`differential datetime test: no interpreter for ${missing.join(", ")}; those versions are NOT checked`);
  const failures: string[] = [];
  let compared = 0;
  const tally = new Map<string, number>();
  const jobs: (() => Promise<void>)[] = [];
  for (const { tz, count } of DIFF_ZONES) {
    const zone = zoneFor(tz);
    const values = [...generateCases(0x5eed + count, count), ...transitionWallTimes(zone, TRANSITION_YEARS)];
    for (const [version, python] of interpreters) {
      if (python === undefined) continue;
      jobs.push(async () => {
        const expected = await runPythonJson<Outcome[]>(python, PY_DRIVER, tz, values);
        values.forEach((value, i) => {
          compared++;
          const kind = /^error ValueError: Invalid/.test(expected[i] ?? "") ? "invalid" : /^error/.test(expected[i] ?? "") ? "range error" : / \| error/.test(expected[i] ?? "") ? "timestamp error" : "accepted";
          tally.set(`${version} ${kind}`, (tally.get(`${version} ${kind}`) ?? 0) + 1);
          const got = ours(value, version, zone);
          if (got !== expected[i]) {
            failures.push(`${version} TZ=${tz ?? "(unset)"} ${JSON.stringify(value)}\n    python: ${expected[i]}\n    ours:   ${got}`);
          }
        });
      });
    }
  }
  await pool(jobs, availableParallelism() + 2);
  t.diagnostic(`compared ${compared} (version, TZ, string) triples over ${DIFF_ZONES.length} TZ settings`);
  t.diagnostic(`python outcomes: ${[...tally].sort().map(([k, n]) => `${k}: ${n}`).join(", ")}`);
  const byGroup = new Map<string, number>();
  for (const f of failures) {
    const group = f.slice(0, f.indexOf(" \""));
    byGroup.set(group, (byGroup.get(group) ?? 0) + 1);
  }
  const summary = [...byGroup].map(([k, n]) => `${k}: ${n}`).join("; ");
  assert.equal(failures.length, 0, `${failures.length} mismatches (${summary}):\n${failures.slice(0, 40).join("\n")}`);
});


test("differential: int/int true division (timedelta.total_seconds) rounds like CPython", async (t) => {
  const python = VERSIONS.map(pythonFor).find((p) => p !== undefined);
  if (python === undefined) return skipOrFail(t, "reference", "differential true-division test: no python interpreter found (looked for CPython 3.8-3.13)", true);
  // Microsecond counts whose quotient lies within a few µs of a rounding
  // midpoint between two doubles, at the magnitudes of years 2242..9999.
  const g = new Gen(prng(0xd1f));
  const values: bigint[] = [];
  for (let i = 0; i < 4000; i++) {
    const e = g.int(33, 38);
    const x = (1 + g.rand()) * 2 ** e;
    const n = BigInt(Math.round((x + 2 ** (e - 53)) * 1e6)) + BigInt(g.int(-2, 2));
    values.push(g.chance(0.5) ? -n : n);
  }
  const expected = await runPythonJson<string[]>(python, "import sys, json\nsys.stdout.write(json.dumps([repr(int(x) / 10**6) for x in json.loads(sys.stdin.read())]))", undefined, values.map(String));
  values.forEach((n, i) => assert.equal(trueDivide(n, 1_000_000n), Number(expected[i]), `${n} / 10**6`));
});
