/**
 * From the first manifest a transport finds (a registry's answer for the
 * tag, the entry an OCI layout's index.json names) down to one image
 * manifest: an index or manifest list is narrowed to the platform asked
 * for, its entry fetched by digest and checked against it, as deep as
 * indexes nest (a few levels: deeper is refused rather than followed).
 * Then the image as ResolvedImage, its blobs where the transport says.
 */
import { BlobMismatchError, ImageSourceError, type BlobRef, type ConfigRef, type Platform, type ResolvedImage, type TransportName } from "./image-source.ts";
import { sha256Digest, type Descriptor } from "./manifest.ts";
import { parseManifest, type ParsedManifest } from "./manifest-parse.ts";
import { choosePlatform, formatPlatform } from "./platform.ts";

/** A manifest's bytes as the transport found them. */
export interface FetchedManifest {
  readonly bytes: Buffer;
  /** The media type the transport gave (Content-Type, the descriptor's), if any. */
  readonly mediaType: string | undefined;
  /** Names it in messages: "the manifest for tag 1.0", "index.json". */
  readonly where: string;
}

/** The image manifest an index led to, with the platform chosen on the way. */
export interface ChosenManifest {
  readonly manifest: ParsedManifest;
  readonly bytes: Buffer;
  readonly digest: string;
  readonly platform: string | undefined;
}

const MAX_DEPTH = 4;

/** Checks a manifest fetched for `descriptor` is what it names. */
export function checkFetched(descriptor: Descriptor, bytes: Buffer, image: string, where: string): void {
  const found = sha256Digest(bytes);
  if (found !== descriptor.digest) throw new BlobMismatchError(image, `${where} has digest ${found}, not the ${descriptor.digest} it is named by`);
  if (bytes.length !== descriptor.size) throw new BlobMismatchError(image, `${where} is ${bytes.length} bytes, not the ${descriptor.size} its descriptor gives`);
}

/**
 * The image manifest `top` is or leads to for `platform`; `fetch` gets a
 * manifest an index names (the transport checks nothing: this does).
 */
export async function resolveManifest(
  image: string,
  top: FetchedManifest,
  fetch: (descriptor: Descriptor) => Promise<FetchedManifest>,
  platform: Platform,
): Promise<ChosenManifest> {
  let current = top;
  let chosen: string | undefined;
  for (let depth = 0; ; depth++) {
    const parsed = parseManifest(current.bytes, current.mediaType, image, current.where);
    if (parsed.kind === "manifest") return { manifest: parsed, bytes: current.bytes, digest: sha256Digest(current.bytes), platform: chosen };
    if (depth >= MAX_DEPTH) throw new ImageSourceError(image, `${current.where}: indexes nested more than ${MAX_DEPTH} deep`);
    const entry = choosePlatform(parsed.manifests, platform, image, current.where);
    chosen = formatPlatform(entry.platform);
    const next = await fetch(entry);
    checkFetched(entry, next.bytes, image, next.where);
    current = next;
  }
}

/** The ResolvedImage of a chosen manifest; `location` says where a blob is, for messages and for openBlob. */
export function resolvedImage(transport: TransportName, name: string, chosen: ChosenManifest, location: (digest: string) => string): ResolvedImage {
  const { manifest } = chosen;
  const blob = (descriptor: Descriptor): ConfigRef => ({ digest: descriptor.digest, size: descriptor.size, mediaType: descriptor.mediaType, compression: "none", location: location(descriptor.digest) });
  const layers: BlobRef[] = manifest.layers.map((layer) => ({ ...blob(layer), compression: layer.compression }));
  return {
    transport,
    name,
    manifest: { digest: chosen.digest, mediaType: manifest.mediaType, bytes: chosen.bytes },
    platform: chosen.platform,
    config: blob(manifest.config),
    layers,
  };
}
