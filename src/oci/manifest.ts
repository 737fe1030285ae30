/**
 * The image manifest a registry or an OCI layout stores: the config blob
 * (byte for byte the docker-archive's config JSON, so the config digest is
 * the image id `docker load` reports) and the layers: uncompressed by
 * default (each layer's digest is its diff_id, known from the hash passes),
 * or the descriptors of their compressed blobs, known once compressed.  OCI
 * by default; Docker schema 2 on request, for registries or tools that want it.
 */
import { createHash } from "node:crypto";
import type { ImageDescription } from "../image/types.ts";
import { WRITTEN_TYPES, type ManifestFormat } from "./media-types.ts";

export type { ManifestFormat };

export const MANIFEST_FORMATS: readonly ManifestFormat[] = ["oci", "docker"];

export interface Descriptor {
  readonly mediaType: string;
  /** `sha256:<hex>` */
  readonly digest: string;
  readonly size: number;
}

export interface ImageManifest {
  readonly format: ManifestFormat;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly digest: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * The manifest of `image` in `format`.  `layers`: the blobs as published, in
 * the image's order (compressed ones); without it, the layers uncompressed.
 */
export function buildManifest(image: ImageDescription, format: ManifestFormat = "oci", layers?: readonly Descriptor[]): ImageManifest {
  const types = WRITTEN_TYPES[format];
  const config: Descriptor = { mediaType: types.config, digest: `sha256:${image.configName.replace(/\.json$/, "")}`, size: image.configBytes.length };
  if (layers !== undefined && layers.length !== image.layers.length) throw new RangeError(`${layers.length} layer descriptors for an image of ${image.layers.length} layers`);
  layers ??= image.layers.map((layer) => ({ mediaType: types.layer, digest: `sha256:${layer.sha256}`, size: layer.size }));
  // The descriptors' own key order, whatever object they came in.
  layers = layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: types.manifest, config, layers }), "utf8");
  return { format, mediaType: types.manifest, bytes, digest: sha256Digest(bytes), config, layers };
}
