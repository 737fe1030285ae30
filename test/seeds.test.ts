/**
 * The differential tests' seeds (test/differential-*.test.ts): a CI run
 * (CI=true) uses each test's fixed seed, so it is repeatable and fails only
 * on a change; a local run draws a new one, to explore; SLI_SEED repeats
 * any run.  Each test prints its seed and where it came from in its name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describeSeed, differentialSeed } from "./support/prng.ts";
import { REPO_ROOT } from "./support/reference.ts";

const DIFFERENTIAL_FILES = readdirSync(join(REPO_ROOT, "test")).filter((name) => /^differential-.*\.test\.ts$/.test(name));

test("the seed: SLI_SEED when set, the fixed one under CI=true, else drawn", () => {
  assert.deepEqual(differentialSeed(7, { SLI_SEED: "42", CI: "true" }), { seed: 42, origin: "from SLI_SEED" });
  assert.deepEqual(differentialSeed(7, { CI: "true" }), { seed: 7, origin: "fixed for CI" });
  assert.deepEqual(differentialSeed(7, { CI: "1" }), { seed: 7, origin: "fixed for CI" });
  assert.deepEqual(differentialSeed(7, { CI: "false" }, () => 0.5), { seed: 2 ** 30, origin: "drawn for this run" });
  assert.deepEqual(differentialSeed(7, {}, () => 0.25), { seed: 2 ** 29, origin: "drawn for this run" });
  assert.deepEqual(differentialSeed(7, { SLI_SEED: "" }, () => 0), { seed: 0, origin: "drawn for this run" });
  for (const bad of ["abc", "1.5", "-3", "1e400"]) assert.throws(() => differentialSeed(7, { SLI_SEED: bad }), /not a seed/, bad);
  assert.equal(describeSeed({ seed: 7, origin: "fixed for CI" }), "SLI_SEED=7, fixed for CI");
});

/**
 * A `node:test` that runs nothing and prints each test's name: loading a test
 * file with it in place of the real one lists its names (a name pattern that
 * matches nothing stopped reporting the names it filters out in Node 22).
 */
const LISTING_TEST_MODULE = `
const list = (name) => { if (typeof name === "string") process.stdout.write("# test: " + name + "\\n"); };
export function test(name) { list(name); }
export const it = test;
export function describe(name, options, body) { list(name); (typeof options === "function" ? options : body)?.(); }
export const suite = describe;
export function before() {}
export function after() {}
export function beforeEach() {}
export function afterEach() {}
export default test;
`;
const LISTING_HOOKS = `export async function resolve(specifier, context, next) {
  return specifier === "node:test" ? { url: "data:text/javascript," + encodeURIComponent(${JSON.stringify(LISTING_TEST_MODULE)}), shortCircuit: true } : next(specifier, context);
}`;
const LISTING_IMPORT = `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register("data:text/javascript," + encodeURIComponent(${JSON.stringify(LISTING_HOOKS)}));`)}`;

/** The seeds the differential test files print in their test names, loaded (no test run) under `env`. */
function printedSeeds(file: string, env: NodeJS.ProcessEnv): string[] {
  const compiled = join(REPO_ROOT, "build", "test", file.replace(/\.ts$/, ".js"));
  const result = spawnSync(process.execPath, ["--import", LISTING_IMPORT, compiled], { env, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const seeds = [...result.stdout.matchAll(/\(SLI_SEED=(\d+), ([^)]+)\)/g)].map((m) => `${m[1]}, ${m[2]}`);
  assert.ok(seeds.length > 0, `${file} prints its seed in its test names:\n${result.stdout}`);
  return [...new Set(seeds)];
}

test("every differential test prints its seed: the same fixed one in two CI runs, new ones in two local runs", () => {
  assert.deepEqual(DIFFERENTIAL_FILES.length >= 3, true, `differential test files: ${DIFFERENTIAL_FILES.join(", ")}`);
  const base = { ...process.env };
  delete base.SLI_SEED;
  delete base.CI;
  // A child `node --test` of a test run reports to its parent, not on stdout, unless told it is a run of its own.
  delete base.NODE_TEST_CONTEXT;
  const ciSeeds = new Set<string>();
  for (const file of DIFFERENTIAL_FILES) {
    const ci = printedSeeds(file, { ...base, CI: "true" });
    assert.equal(ci.length, 1, `${file}: one seed per run`);
    assert.match(ci[0]!, /, fixed for CI$/, file);
    assert.deepEqual(printedSeeds(file, { ...base, CI: "true" }), ci, `${file}: the same seed in the next CI run`);
    ciSeeds.add(ci[0]!);
    const local = [printedSeeds(file, base), printedSeeds(file, base)];
    for (const seeds of local) assert.match(seeds[0]!, /, drawn for this run$/, file);
    assert.notDeepEqual(local[0], local[1], `${file}: two local runs draw two seeds`);
    assert.deepEqual(printedSeeds(file, { ...base, CI: "true", SLI_SEED: "12345" }), ["12345, from SLI_SEED"], `${file}: SLI_SEED repeats a run`);
  }
  assert.equal(ciSeeds.size, DIFFERENTIAL_FILES.length, "each differential test has its own fixed seed");
});

test(".ci/run is a CI run: it sets CI=true", () => {
  const script = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
  assert.match(script, /^export [^\n]*\bCI=true\b/m);
});
