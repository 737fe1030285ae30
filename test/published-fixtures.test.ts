/**
 * The published-image fixtures (test/support/published-images.ts) are what
 * they claim, checked with skopeo and our `digest` only, before any verify
 * or diff code reads them: each published form's manifest names the config
 * skopeo reads, that config is ours (byte for byte where the route keeps
 * it, the same values where the route re-serialises it as an OCI config),
 * its diff_ids are the ones `digest` prints for the matching conf, and no
 * variant's conf gives that image.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { skipOrFail } from "./support/requirements.ts";
import { digestOf } from "./support/image-variants.ts";
import { ROUTES } from "./support/published-routes.ts";
import { PUBLISHED_PLAN, VARIANT_PLAN, inspectImage, sha256, type SubjectName } from "./support/published-images.ts";
import { usePublishedImages } from "./support/published-hooks.ts";

interface Config {
  created?: string;
  history?: { created?: string }[];
  rootfs: { diff_ids: string[] };
  [key: string]: unknown;
}

/** A config with its times as instants: an OCI conversion writes "…Z" where ours has "+00:00". */
function normalisedConfig(bytes: Buffer): Config {
  const config = JSON.parse(bytes.toString("utf8")) as Config;
  const instant = (time: string | undefined): string | undefined => (time === undefined ? undefined : new Date(time).toISOString());
  return { ...config, created: instant(config.created), history: config.history?.map((h) => ({ ...h, created: instant(h.created) })) };
}

/** `digest` once per conf and root (every form of a subject is checked against the same). */
const digests = new Map<string, ReturnType<typeof digestOf>>();
function digestOnce(root: string, conf: string): ReturnType<typeof digestOf> {
  const key = `${root}\0${conf}`;
  if (!digests.has(key)) digests.set(key, digestOf(root, conf));
  return digests.get(key)!;
}

describe("published-image fixtures", () => {
  const handle = usePublishedImages("published");

  test("built in one go, every planned form and variant present", (t) => {
    if (handle.missing !== undefined) return skipOrFail(t, handle.missing.kind, handle.missing.why);
    t.diagnostic(`fixtures built in ${handle.images!.seconds.toFixed(1)} s`);
    for (const [name, routes] of Object.entries(PUBLISHED_PLAN)) {
      const subject = handle.images!.subjects.find((s) => s.name === name)!;
      assert.deepEqual(subject.forms.map((f) => f.route), routes, `${name}: the published forms`);
      assert.deepEqual(subject.variants.map((v) => v.kind), VARIANT_PLAN[name as SubjectName], `${name}: the variants`);
    }
  });

  for (const [name, routes] of Object.entries(PUBLISHED_PLAN) as [SubjectName, readonly string[]][]) {
    for (const route of routes) {
      test(`${name} published by ${route}: skopeo reads our config, no variant gives it`, async (t) => {
        if (handle.missing !== undefined) return skipOrFail(t, handle.missing.kind, handle.missing.why);
        const subject = handle.images!.subjects.find((s) => s.name === name)!;
        const form = subject.forms.find((f) => f.route === route)!;
        const { manifest, config } = await inspectImage(form.image);
        const manifestConfig = (JSON.parse(manifest.toString("utf8")) as { config: { digest: string } }).config.digest;
        assert.equal(manifestConfig, sha256(config), `${form.image}: the manifest's config digest is the config skopeo reads`);
        const matching = await digestOnce(form.root, form.conf);
        const theirs = normalisedConfig(config);
        assert.deepEqual(theirs.rootfs.diff_ids, matching.diffIds, `${form.image}: diff_ids against digest on ${form.conf}`);
        if (ROUTES[form.route].keepsConfig) {
          assert.equal(manifestConfig, matching.imageId, `${form.image}: the config is ours byte for byte`);
        } else {
          assert.notEqual(manifestConfig, matching.imageId, `${form.image}: ${form.route} was expected to re-serialise the config`);
          const stream = subject.forms.find((f) => f.route === "stream")!;
          const ours = normalisedConfig((await inspectImage(stream.image)).config);
          assert.deepEqual(theirs, ours, `${form.image}: the re-serialised config has our values`);
        }
        if (form.route === "registry-sli") {
          assert.equal(sha256(manifest), matching.uncompressedOciManifest, `${form.image}: the manifest digest is the one digest's registry_manifests.oci gives`);
        }
        for (const variant of subject.variants) {
          assert.notEqual(variant.imageId, manifestConfig, `${variant.kind} variant: its image id`);
          assert.notDeepEqual(variant.diffIds, theirs.rootfs.diff_ids, `${variant.kind} variant: its diff_ids`);
        }
      });
    }
  }
});
