/**
 * Issue 21's acceptance matrix: verify and diff on images as people
 * publish them (every form of test/support/published-images.ts) against
 * the matching conf and the four one-difference variants.
 * The command lines and diff --json's shape are known to
 * test/support/diff-report.ts only.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { skipOrFail } from "./support/requirements.ts";
import type { CliRun } from "./support/registry.ts";
import { runOurCliInProcess } from "./support/cli-in-process.ts";

/** Our CLI in this process (as a child would run it, without a Node start per case: 200-odd runs). */
async function runCliAsync(args: readonly string[]): Promise<CliRun> {
  const run = await runOurCliInProcess(args, undefined);
  return { status: run.status, stdout: run.stdout.toString("utf8"), stderr: run.stderr };
}
import { configMatches, diffConfArgs, diffImagesArgs, normaliseExpected, normaliseReport, verifyArgs } from "./support/diff-report.ts";
import { PUBLISHED_PLAN, VARIANT_PLAN, type PublishedForm, type SubjectName, type Variant, type VariantKind } from "./support/published-images.ts";
import { usePublishedImages } from "./support/published-hooks.ts";

/** A run's whole output, for assertion messages. */
function shown(run: CliRun): string {
  return `exit ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

async function checkMatching(form: PublishedForm, stream: PublishedForm): Promise<void> {
  const verify = await runCliAsync(verifyArgs(form, form.conf, form.root));
  assert.equal(verify.status, 0, `verify on the matching conf: ${shown(verify)}`);
  assert.match(verify.stdout, /identical/, `verify says identical: ${shown(verify)}`);
  assert.match(verify.stdout, /config/, `verify says at which level (config): ${shown(verify)}`);
  const diff = await runCliAsync(diffConfArgs(form, form.conf, form.root));
  assert.equal(diff.status, 0, `diff CONF IMAGE on the matching conf: ${shown(diff)}`);
  assert.deepEqual(normaliseReport(diff.stdout), { same: true, layers: [], config: [] }, `diff CONF IMAGE: ${shown(diff)}`);
  const images = await runCliAsync(diffImagesArgs(stream, form));
  assert.equal(images.status, 0, `diff of our stream and ${form.route}: ${shown(images)}`);
  assert.deepEqual(normaliseReport(images.stdout), { same: true, layers: [], config: [] }, `diff IMAGE-A IMAGE-B: ${shown(images)}`);
}

async function checkVariant(form: PublishedForm, variant: Variant): Promise<void> {
  const expected = variant.expected;
  const first = expected.layers[0]!;
  const verify = await runCliAsync(verifyArgs(form, variant.conf, variant.root));
  assert.equal(verify.status, 1, `verify on the ${variant.kind} variant: ${shown(verify)}`);
  assert.match(verify.stdout, new RegExp(`layer ${first.index}\\b`), `verify names layer ${first.index}: ${shown(verify)}`);
  // The first member that differs, in the layer's order (the layer variant's new layer has none to name).
  const member = first.members[0]?.name;
  if (member !== undefined) assert.ok(verify.stdout.includes(member), `verify names ${member}: ${shown(verify)}`);
  const diff = await runCliAsync(diffConfArgs(form, variant.conf, variant.root));
  assert.equal(diff.status, 1, `diff CONF IMAGE on the ${variant.kind} variant: ${shown(diff)}`);
  const report = normaliseReport(diff.stdout);
  assert.deepEqual({ same: report.same, layers: report.layers }, normaliseExpected(expected), `diff lists exactly the ${variant.kind} variant's layers and members: ${shown(diff)}`);
  assert.ok(configMatches(report.config, expected.config), `diff's config paths ${JSON.stringify(report.config)} are exactly below ${JSON.stringify(expected.config)}: ${shown(diff)}`);
}

describe("verify and diff on published images", () => {
  const handle = usePublishedImages("matrix");

  for (const [name, routes] of Object.entries(PUBLISHED_PLAN) as [SubjectName, readonly string[]][]) {
    for (const route of routes) {
      for (const kind of ["matching", ...VARIANT_PLAN[name]] as ("matching" | VariantKind)[]) {
        test(`${name} published by ${route}: ${kind === "matching" ? "the matching conf" : `the ${kind} variant`}`, async (t) => {
          if (handle.missing !== undefined) return skipOrFail(t, handle.missing.kind, handle.missing.why);
          const subject = handle.images!.subjects.find((s) => s.name === name)!;
          const form = subject.forms.find((f) => f.route === route)!;
          if (kind === "matching") await checkMatching(form, subject.forms.find((f) => f.route === "stream")!);
          else await checkVariant(form, subject.variants.find((v) => v.kind === kind)!);
        });
      }
    }
  }
});
