/**
 * The one table of media types: what this project writes (an image
 * manifest, its config and its layers uncompressed, gzip or zstd, OCI or
 * Docker schema 2)
 * and what it reads back from any tool: the four manifest and index types,
 * and every layer type with how its bytes are compressed.  A type not in
 * the table is refused by name, never guessed.
 */
import type { BlobCompression } from "./image-source.ts";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

/** A manifest names one image; an index (or Docker's manifest list) names manifests, one per platform. */
export type ManifestKind = "manifest" | "index";

export const MANIFEST_KINDS: ReadonlyMap<string, ManifestKind> = new Map([
  [OCI_MANIFEST, "manifest"],
  [DOCKER_MANIFEST, "manifest"],
  [OCI_INDEX, "index"],
  [DOCKER_MANIFEST_LIST, "index"],
]);

/** The Accept header of a manifest GET: every type above. */
export const MANIFEST_ACCEPT: readonly string[] = [...MANIFEST_KINDS.keys()];

const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
const OCI_FOREIGN_LAYER = "application/vnd.oci.image.layer.nondistributable.v1.tar";
const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";

/** Layer media type → how its blob is compressed. */
export const LAYER_COMPRESSION: ReadonlyMap<string, BlobCompression> = new Map([
  [OCI_LAYER, "none"],
  [`${OCI_LAYER}+gzip`, "gzip"],
  [`${OCI_LAYER}+zstd`, "zstd"],
  [OCI_FOREIGN_LAYER, "none"],
  [`${OCI_FOREIGN_LAYER}+gzip`, "gzip"],
  [`${OCI_FOREIGN_LAYER}+zstd`, "zstd"],
  [DOCKER_LAYER, "none"],
  [`${DOCKER_LAYER}.gzip`, "gzip"],
  ["application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "gzip"],
]);

export type ManifestFormat = "oci" | "docker";

/** What this project writes, by manifest format. */
export const WRITTEN_TYPES: Record<ManifestFormat, { manifest: string; config: string; layer: string }> = {
  oci: { manifest: OCI_MANIFEST, config: OCI_CONFIG, layer: OCI_LAYER },
  docker: { manifest: DOCKER_MANIFEST, config: DOCKER_CONFIG, layer: DOCKER_LAYER },
};

/** Layer compressions a manifest names (the blob's bytes: a tar, or a tar gzip- or zstd-compressed). */
export type LayerCompression = "none" | "gzip" | "zstd";

/**
 * The layer media type written for `compression` under `format`, or
 * undefined where the format has none: Docker schema 2 defines its layers
 * as `.tar.gzip` only (an uncompressed `.tar` type exists but clients such
 * as Docker Hub refuse it, and there is no zstd type: skopeo switches such
 * an image to OCI).
 */
export function writtenLayerType(format: ManifestFormat, compression: LayerCompression): string | undefined {
  if (format === "docker") return compression === "gzip" ? `${DOCKER_LAYER}.gzip` : undefined;
  return compression === "none" ? OCI_LAYER : `${OCI_LAYER}+${compression}`;
}
