/**
 * What the image-source tests share: the example image written once by our
 * CLI (its tar, image id and diff_ids), an image read back through an
 * ImageSource (config digest, the config's diff_ids, each layer's
 * decompressed digest), OCI layouts written by hand (blobs by digest, an
 * index.json) for the faults no tool writes, and the one line an error is.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { layerContent } from "../../src/oci/blob-content.ts";
import type { BlobCompression, ImageSource, Platform } from "../../src/oci/image-source.ts";
import { EXAMPLE_CONF, makeExampleStore } from "./example-store.ts";
import { runOurCli } from "./reference.ts";

export const AMD64: Platform = { os: "linux", architecture: "amd64" };

export interface ExampleImage {
  /** The example store (--root) and conf, for `push`. */
  readonly root: string;
  readonly conf: string;
  /** The docker-archive our CLI wrote. */
  readonly tar: string;
  /** A scratch directory for the test's copies. */
  readonly work: string;
  readonly imageId: string;
  readonly diffIds: readonly string[];
  remove(): void;
}

/** The example image written by our CLI, with `digest`'s image id and diff_ids. */
export function buildExampleImage(label: string): ExampleImage {
  const store = makeExampleStore(label);
  const work = mkdtempSync(join(tmpdir(), `sli-${label}-work-`));
  const tar = join(work, "image.tar");
  const written = runOurCli(["--quiet", "--root", store.root, "-o", tar, EXAMPLE_CONF], undefined);
  assert.equal(written.status, 0, written.stderr);
  const digest = runOurCli(["digest", "--root", store.root, EXAMPLE_CONF], undefined);
  assert.equal(digest.status, 0, digest.stderr);
  const parsed = JSON.parse(digest.stdout.toString("utf8")) as { image_id: string; layers: { diff_id: string }[] };
  const remove = (): void => {
    store.remove();
    rmSync(work, { recursive: true, force: true });
  };
  return { root: store.root, conf: EXAMPLE_CONF, tar, work, imageId: parsed.image_id, diffIds: parsed.layers.map((layer) => layer.diff_id), remove };
}

export interface ReadBack {
  readonly configDigest: string;
  readonly configDiffIds: readonly string[];
  /** sha256 of each layer's decompressed content. */
  readonly contentDigests: readonly string[];
  readonly compressions: readonly BlobCompression[];
  readonly layerDigests: readonly (string | undefined)[];
  readonly platform: string | undefined;
  readonly manifestType: string | undefined;
}

/** Resolves `source` and reads its config and every layer to the end. */
export async function readBack(source: ImageSource, name: string, platform: Platform = AMD64): Promise<ReadBack> {
  const image = await source.resolve(platform);
  const config = JSON.parse((await source.readBlob(image.config, 1 << 20)).toString("utf8")) as { rootfs: { diff_ids: string[] } };
  const contentDigests: string[] = [];
  for (const [index, layer] of image.layers.entries()) {
    const content = layerContent(source, layer, name, `layer ${index + 1}`);
    for await (const chunk of content.chunks) assert.ok(chunk.length > 0);
    contentDigests.push(content.result().digest);
  }
  return {
    configDigest: image.config.digest,
    configDiffIds: config.rootfs.diff_ids,
    contentDigests,
    compressions: image.layers.map((layer) => layer.compression),
    layerDigests: image.layers.map((layer) => layer.digest),
    platform: image.platform,
    manifestType: image.manifest?.mediaType,
  };
}

/** The message of what `promise` rejects with, checked to be one line of the expected class. */
export async function oneLineRejection(promise: Promise<unknown>, errorClass: abstract new (...args: never[]) => Error): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof errorClass, `${String(error)} is not a ${errorClass.name}`);
    assert.doesNotMatch(error.message, /\n/, "one line");
    return error.message;
  }
  assert.fail("no error");
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export interface Described {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly [key: string]: unknown;
}

/** An OCI layout written by hand: `blob` stores bytes under their digest, `finish` writes index.json and oci-layout. */
export class HandLayout {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  }

  blob(bytes: Buffer | string, mediaType: string, extra: Record<string, unknown> = {}): Described {
    const data = Buffer.from(bytes);
    const digest = sha256(data);
    writeFileSync(join(this.dir, "blobs", "sha256", digest.slice(7)), data);
    return { mediaType, digest, size: data.length, ...extra };
  }

  json(value: unknown, mediaType: string, extra: Record<string, unknown> = {}): Described {
    return this.blob(JSON.stringify(value), mediaType, extra);
  }

  finish(manifests: readonly Described[]): void {
    writeFileSync(join(this.dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(this.dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests }));
  }
}
