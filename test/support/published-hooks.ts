/**
 * The published-image fixtures for one describe block: built once in its
 * before hook (or not at all, when the file says so or a requirement is
 * missing), the registry stopped and the directory removed in its after
 * hook.  Both test files that use the fixtures declare their tests from
 * PUBLISHED_PLAN before the hook runs, and read the handle inside them.
 */
import { after, before } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishImages, publishedImagesMissing, type PublishedImages } from "./published-images.ts";

export interface PublishedHandle {
  /** What is missing here, with the requirement it falls under. */
  missing: Awaited<ReturnType<typeof publishedImagesMissing>>;
  /** Set once the before hook has built them (never when `build` is false or something is missing). */
  images: PublishedImages | undefined;
}

export function usePublishedImages(label: string, build = true): PublishedHandle {
  const handle: PublishedHandle = { missing: undefined, images: undefined };
  let dir: string | undefined;
  before(async () => {
    if (!build) return;
    handle.missing = await publishedImagesMissing();
    if (handle.missing !== undefined) return;
    dir = mkdtempSync(join(tmpdir(), `sli-${label}-`));
    handle.images = await publishImages(dir);
  });
  after(async () => {
    await handle.images?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return handle;
}
