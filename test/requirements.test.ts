/**
 * Skip or fail (test/support/requirements.ts): a plain `npm test` skips what
 * the machine lacks, with the reason; CI (.ci/run) sets the variables that
 * make each such absence a failure; and no test skips on its own.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REQUIREMENTS, isRequired, missingMessage, skipOptional, skipOrFail, type Requirement } from "./support/requirements.js";
import { REPO_ROOT } from "./support/reference.js";

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

test("no test skips on its own: every skip goes through skipOrFail (or skipOptional), but for the listed known refusals", () => {
  const allowed = [
    // The nested run as nobody does not run the newcomer file again: nothing is missing.
    { file: "newcomer.test.ts", text: "{ skip: nested }" },
  ];
  const sources = ["test", join("test", "support")].flatMap((dir) =>
    readdirSync(join(REPO_ROOT, dir))
      .filter((name) => name.endsWith(".ts") && name !== "requirements.ts")
      .map((name) => ({ file: name, text: readFileSync(join(REPO_ROOT, dir, name), "utf8") })),
  );
  const offending: string[] = [];
  for (const { file, text } of sources) {
    text.split("\n").forEach((line, i) => {
      if (!/\.skip\(|\bskip:\s/.test(line)) return;
      if (allowed.some((a) => a.file === file && line.includes(a.text))) return;
      if (file === "requirements.test.ts") return;
      offending.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offending, []);
});
