/**
 * The golden image cases the audit tests run in-process: each conf the
 * reference turned into an image, per profile, with its golden tarball, its
 * TZ applied to this process while it runs (Python reads naive `created` in
 * the local zone), and the store built once.
 */
import { join } from "node:path";
import { validateConf, type ImageConf } from "../../src/conf/validate.ts";
import { parseConfText } from "../../src/conf/read.ts";
import type { PythonVersion } from "../../src/py/version.ts";
import { IMAGE_GOLDEN_DIR, confPaths, readImageFixtures, readImageManifest } from "./golden-images.ts";
import { makeFixtureStore, type FixtureStore } from "./fixture-store.ts";

export interface AuditCase {
  readonly name: string;
  readonly python: PythonVersion;
  readonly tz: string | undefined;
  readonly confText: string;
  /** Path of the reference's image for this case and profile. */
  readonly image: string;
  /** Store paths the conf names (to ask the store whether they could be made here). */
  readonly paths: readonly string[];
}

export function goldenAuditCases(): AuditCase[] {
  const fixtures = readImageFixtures();
  const manifest = readImageManifest();
  const cases: AuditCase[] = [];
  for (const imageCase of fixtures.cases) {
    for (const [python, outcome] of Object.entries(manifest[imageCase.name] ?? {})) {
      if (outcome === undefined || !("image" in outcome)) continue;
      cases.push({
        name: imageCase.name,
        python: python as PythonVersion,
        tz: imageCase.tz,
        confText: imageCase.conf,
        image: join(IMAGE_GOLDEN_DIR, outcome.image),
        paths: confPaths(imageCase.conf),
      });
    }
  }
  return cases;
}

export function goldenStore(label: string): FixtureStore {
  return makeFixtureStore(readImageFixtures().store, label);
}

/** The case's conf as the CLI would read it under `python`. */
export function confOf(auditCase: Pick<AuditCase, "name" | "confText">, python: PythonVersion): ImageConf {
  return validateConf(parseConfText(auditCase.confText, `${auditCase.name}.json`, python), `${auditCase.name}.json`);
}

/** Runs `body` with TZ set as the case needs (undefined: unset), then restores it. */
export async function withTz<T>(tz: string | undefined, body: () => Promise<T> | T): Promise<T> {
  const saved = process.env.TZ;
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}
