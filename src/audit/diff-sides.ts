/**
 * The two sides `diff` compares, whatever they are: an image a transport
 * reads (its config fetched, each layer decompressed only when the diff
 * opens it), or what a conf produces (the hash passes run, each layer
 * streamed from the store only when opened).  The diff engine sees
 * DiffSides and knows neither.
 */
import type { PreparedImage } from "../image/types.ts";
import type { ImageSource, Platform, ResolvedImage } from "../oci/image-source.ts";
import { layerContent } from "../oci/blob-content.ts";
import type { DiffSide } from "./diff-types.ts";

/** Configs are small: refuse to buffer a larger one. */
const MAX_CONFIG_SIZE = 64 << 20;

/** The image's config blob, read whole (checked against its digest by the transport), for verify and diff alike. */
export function readConfig(source: ImageSource, image: ResolvedImage): Promise<Buffer> {
  return source.readBlob(image.config, MAX_CONFIG_SIZE);
}

/** The diff_ids a config gives, as far as it gives them (another tool's config may be anything). */
export function configDiffIds(configBytes: Buffer): (string | undefined)[] {
  try {
    const ids = (JSON.parse(configBytes.toString("utf8")) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
    return Array.isArray(ids) ? ids.map((id) => (typeof id === "string" ? id : undefined)) : [];
  } catch {
    // Not JSON: the config comparison says so; no layer can be skipped by its diff_id.
    return [];
  }
}

export interface SourceSide extends DiffSide {
  readonly image: ResolvedImage;
}

/** An image read through its transport: the manifest and config now, a layer when the diff opens it. */
export async function sourceSide(name: string, source: ImageSource, platform: Platform): Promise<SourceSide> {
  const image = await source.resolve(platform);
  const configBytes = await readConfig(source, image);
  const diffIds = configDiffIds(configBytes);
  const layers = image.layers.map((blob, index) => ({
    diffId: diffIds[index],
    label: blob.location,
    open: () => layerContent(source, blob, name, `layer ${index} (${blob.location})`).chunks,
  }));
  return { name, configBytes, layers, image };
}

/** What a conf produces: its config from the hash passes, a layer's bytes streamed from the store when opened. */
export function confSide(name: string, prepared: PreparedImage): DiffSide {
  const layers = prepared.layers.map((layer, index) => ({
    diffId: `sha256:${layer.sha256}`,
    label: layer.path,
    open: () => prepared.asyncLayerChunks(index),
  }));
  return { name, configBytes: prepared.configBytes, layers };
}
