/**
 * Skip or fail (test/support/requirements.ts): a plain `npm test` skips what
 * the machine lacks, with the reason; CI (.ci/run) sets the variables that
 * make each such absence a failure; and no test skips on its own.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REQUIREMENTS, isRequired, missingMessage, skipOptional, skipOrFail, type Requirement } from "./support/requirements.ts";
import { REPO_ROOT } from "./support/reference.ts";
import { findSilentSkips, readTestSources } from "./support/skip-scan.ts";

const KINDS = Object.keys(REQUIREMENTS) as Requirement[];

/** Runs `body` with `name` set to `value` (undefined: unset) in process.env, then restores it. */
function withEnv(name: string, value: string | undefined, body: () => void): void {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    body();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

test("without the variable: a skip with the reason; with it: a failure naming the reason and the variable", () => {
  for (const kind of KINDS) {
    const variable = REQUIREMENTS[kind];
    withEnv(variable, undefined, () => {
      const skipped: (string | undefined)[] = [];
      skipOrFail({ skip: (message) => skipped.push(message) }, kind, "frobnicator is not installed");
      assert.deepEqual(skipped, ["SKIPPED: frobnicator is not installed"]);
      assert.equal(isRequired(kind), false);
    });
    withEnv(variable, "1", () => {
      const skipped: (string | undefined)[] = [];
      assert.throws(
        () => skipOrFail({ skip: (message) => skipped.push(message) }, kind, "frobnicator is not installed"),
        (error: Error) => error.message.includes("frobnicator is not installed") && error.message.includes(`${variable}=1`),
      );
      assert.deepEqual(skipped, [], "no skip when required");
      assert.equal(missingMessage(kind, "SKIPPED: x").startsWith("SKIPPED"), false);
    });
  }
});

test("what no run requires is skipped even in CI", () => {
  for (const variable of Object.values(REQUIREMENTS)) {
    withEnv(variable, "1", () => {
      const skipped: (string | undefined)[] = [];
      skipOptional({ skip: (message) => skipped.push(message) }, "SLI_CURRENT_REFERENCE is not set");
      assert.deepEqual(skipped, ["SKIPPED: SLI_CURRENT_REFERENCE is not set"]);
    });
  }
});

test(".ci/run exports every requirement variable, and no others (the current-generation oracle stays optional)", () => {
  const script = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
  const exported = [...script.matchAll(/^export ([^\n]+)$/gm)].flatMap((m) => m[1]!.split(/\s+/)).map((word) => word.split("=")) as [string, string?][];
  for (const variable of Object.values(REQUIREMENTS)) assert.ok(exported.some(([name, value]) => name === variable && value === "1"), `${variable}=1 exported by .ci/run`);
  assert.ok(!exported.some(([name]) => name.startsWith("SLI_") && !Object.values(REQUIREMENTS).includes(name as never)), "no other SLI_ variable (SLI_CURRENT_REFERENCE is never required)");
  assert.match(script, /apt-get could not install[^\n]*\n\s*exit 1/, "a failed install fails CI");
});

test("no test skips on its own: every skip goes through skipOrFail (or skipOptional), but for the listed known ones", () => {
  const allowed = [
    // The nested run as nobody does not run the newcomer file again: nothing is missing.
    { file: "newcomer.test.ts", text: "{ skip: nested }" },
  ];
  const sources = readTestSources(join(REPO_ROOT, "test"));
  assert.ok(sources.some((s) => s.file.startsWith("support/")) && sources.some((s) => s.file.startsWith("fixtures/")), "subfolders are read");
  assert.deepEqual(findSilentSkips(sources, allowed), []);
});

test("the skip scanner sees skips in subfolders and early returns that skip without saying", () => {
  const requirements = { file: "support/requirements.ts", text: "export function skipOrFail(t, kind, why) { t.skip(why); }" };
  const helpers = {
    file: "support/helpers.ts",
    text: `
      import { skipOrFail } from "./requirements.js";
      export function tls(t) { if (openssl) return cert(); skipOrFail(t, "clients", "no openssl"); return undefined; }
      export const cannotRun = (t, paths) => tls(t) === undefined;
      export function compute() { return undefined; }
    `,
  };
  const scan = (file: string, text: string): string[] => findSilentSkips([requirements, helpers, { file, text }]).map((line) => line.replace(/:\s.*$/, ""));
  // Skips of their own, in subfolders at any depth.
  assert.deepEqual(scan("support/sneaky.ts", "export function sneaky(t) {\n  t.skip('nothing here');\n}"), ["support/sneaky.ts:2"]);
  assert.deepEqual(scan("fixtures/deep/cases.ts", "test.skip('later', () => {});"), ["fixtures/deep/cases.ts:1"]);
  assert.deepEqual(scan("fixtures/deep/cases.ts", "describe('x', { todo: true }, () => {});"), ["fixtures/deep/cases.ts:1"]);
  // Early returns that say nothing: the test passes unchecked.
  assert.deepEqual(scan("a.test.ts", "test('kvm', () => {\n  if (!existsSync('/dev/kvm')) return;\n  assert.ok(run());\n});"), ["a.test.ts:2"]);
  assert.deepEqual(scan("a.test.ts", "test('x', (t) => {\n  const c = compute();\n  if (c === undefined) return;\n  assert.ok(c);\n});"), ["a.test.ts:3"]);
  assert.deepEqual(scan("a.test.ts", "test('x', async (t) => {\n  await t.test('sub', () => {\n    for (const x of xs) {\n      if (x) return;\n    }\n    assert.ok(1);\n  });\n});"), ["a.test.ts:4"]);
  assert.deepEqual(scan("a.test.ts", "it('x', function () {\n  if (slow) { return; }\n  assert.ok(1);\n});"), ["a.test.ts:2"]);
  // Early returns after a skip helper said why, or after checking something: not silent.
  for (const body of [
    "const c = tls(t);\n  if (c === undefined) return;\n  assert.ok(c);",
    "if (cannotRun(t, paths)) return;\n  assert.ok(1);",
    "if (!found) return skipOrFail(t, 'reference', 'no python');\n  assert.ok(1);",
    "if (done) {\n    assert.equal(status, 0);\n    return;\n  }\n  assert.ok(1);",
    "[1, 2].forEach((x) => {\n    if (x) return;\n  });\n  assert.ok(1);",
    "assert.ok(1);\n  return;",
  ]) {
    assert.deepEqual(scan("b.test.ts", `test('ok', (t) => {\n  ${body}\n});`), [], body);
  }
});
