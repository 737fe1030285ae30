/**
 * `digest`: the digests an image would have, from the hash passes alone.
 * The document is written with Python's json rules (dumpsPythonJson) because
 * the manifest may hold any JSON value the conf gave as repo_tag (big ints,
 * NaN), which JSON.parse/stringify would change.  The manifests a push
 * gives by default (gzip level 5) name compressed blobs, whose digests only
 * compressing tells: they are printed when the blob cache knows every layer
 * (a push or oci with that compression ran), else null, said so.
 */
import { prepareImage } from "../image/image.ts";
import type { ImageDescription, ImageOptions } from "../image/types.ts";
import { DEFAULT_PYTHON, type PythonVersion } from "../profile/python.ts";
import type { ImageConf } from "../conf/validate.ts";
import { dumpsPythonJson, parsePythonJson } from "../py/json/json.ts";
import type { PyValue } from "../py/value.ts";
import type { Generation } from "../profile/generation.ts";
import { buildManifest, MANIFEST_FORMATS, type ManifestFormat } from "../oci/manifest.ts";
import { writtenLayerType } from "../oci/media-types.ts";
import type { BlobCache, Compression } from "../passes/blob-cache.ts";
import { DEFAULT_LEVEL } from "../workers/compress/format.ts";

/** push's and oci's default: gzip at zlib's default level. */
const PUSHED: Required<Compression> = { format: "gzip", level: DEFAULT_LEVEL.gzip };

export interface LayerDigest {
  /** `sha256:<hex>` of the layer tarball, as in the config's rootfs.diff_ids. */
  readonly diffId: string;
  readonly size: number;
  /** Member name in the outer tarball. */
  readonly path: string;
  /** As the conf gives them; the customisation layer: its store path. */
  readonly storePaths: readonly PyValue[];
  readonly customisation: boolean;
}

export interface ImageDigests {
  readonly python: PythonVersion;
  /** The script generation whose image this is. */
  readonly generation: Generation;
  /** `sha256:<hex>` of the config JSON: what `docker load` calls the image id. */
  readonly imageId: string;
  /** The config's member name, `<hex>.json`. */
  readonly config: string;
  readonly layers: readonly LayerDigest[];
  /** manifest.json as the image holds it, parsed with Python's rules (key order kept). */
  readonly manifest: PyValue;
  readonly configBytes: Buffer;
  readonly manifestBytes: Buffer;
  /**
   * What a registry shows for this image pushed by `push` with layers
   * uncompressed (`skopeo inspect`'s Digest), per --format: the manifest
   * is made of the config and diff_ids alone, so the hash passes know it.
   */
  readonly registryManifests: Readonly<Record<ManifestFormat, { readonly digest: string; readonly mediaType: string }>>;
  /**
   * What a registry shows after `push` with its default compression (gzip
   * level 5), per --format: the digest when the blob cache knows every
   * layer's compressed blob, else undefined (known only by compressing).
   */
  readonly pushedManifests: Readonly<Record<ManifestFormat, { readonly digest: string | undefined; readonly mediaType: string }>>;
}

/** The manifests of the image with its layers gzip-compressed, from the blob cache (digest undefined when a layer is not in it). */
function pushedManifests(image: ImageDescription, blobCache: BlobCache | undefined): ImageDigests["pushedManifests"] {
  const blobs = image.layers.map((layer) => blobCache?.read(`sha256:${layer.sha256}`, PUSHED));
  return Object.fromEntries(
    MANIFEST_FORMATS.map((format) => {
      const mediaType = writtenLayerType(format, PUSHED.format)!;
      const known = blobs.every((blob) => blob !== undefined);
      const manifest = buildManifest(image, format, known ? blobs.map((blob) => ({ mediaType, ...blob! })) : undefined);
      return [format, { digest: known ? manifest.digest : undefined, mediaType: manifest.mediaType }];
    }),
  ) as ImageDigests["pushedManifests"];
}

export function digestsOf(image: ImageDescription, python: PythonVersion, generation: Generation, blobCache?: BlobCache): ImageDigests {
  return {
    python,
    generation,
    imageId: `sha256:${image.configName.replace(/\.json$/, "")}`,
    config: image.configName,
    layers: image.layers.map((layer) => ({
      diffId: `sha256:${layer.sha256}`,
      size: layer.size,
      path: layer.path,
      storePaths: layer.storePaths,
      customisation: layer.customisation,
    })),
    manifest: parsePythonJson(image.manifestBytes.toString("utf8"), { profile: python }),
    configBytes: image.configBytes,
    manifestBytes: image.manifestBytes,
    registryManifests: Object.fromEntries(
      MANIFEST_FORMATS.map((format) => {
        const manifest = buildManifest(image, format);
        return [format, { digest: manifest.digest, mediaType: manifest.mediaType }];
      }),
    ) as ImageDigests["registryManifests"],
    pushedManifests: pushedManifests(image, blobCache),
  };
}

/**
 * Runs the hash passes only: nothing is streamed.  Throws ConfError/CannotArchiveError as prepareImage does.
 * `blobCache`: where the compressed manifests' digests are looked up (none: they are unknown).
 */
export function imageDigests(conf: ImageConf, options: Omit<ImageOptions, "reuseChunks"> & { readonly blobCache?: BlobCache | undefined } = {}): ImageDigests {
  const python = options.python ?? DEFAULT_PYTHON;
  const { blobCache, ...imageOptions } = options;
  const image = prepareImage(conf, { ...imageOptions, python });
  image.close();
  return digestsOf(image, python, conf.generation, blobCache);
}

/** A registry_manifests entry for push's default compression: its digest, or null and why. */
function pushedEntry(digests: ImageDigests, format: ManifestFormat): PyValue {
  const { digest, mediaType } = digests.pushedManifests[format];
  const layers = `gzip level ${PUSHED.level}`;
  const known = digest === undefined ? `unknown until pushed or written by oci with ${layers}: a compressed digest is learnt by compressing, then kept in the blob cache` : "from the blob cache";
  return new Map<string, PyValue>([
    ["layers", layers],
    ["media_type", mediaType],
    ["digest", digest ?? null],
    ["known", known],
  ]);
}

/** The `digest` command's output: pretty JSON, keys in a fixed order. */
export function formatDigests(digests: ImageDigests): string {
  const document: PyValue = new Map<string, PyValue>([
    ["generation", digests.generation],
    ["python", digests.python],
    ["image_id", digests.imageId],
    ["config", digests.config],
    [
      "layers",
      digests.layers.map(
        (layer) =>
          new Map<string, PyValue>([
            ["diff_id", layer.diffId],
            ["size", BigInt(layer.size)],
            ["path", layer.path],
            ["store_paths", [...layer.storePaths]],
            ["customisation", layer.customisation],
          ]),
      ),
    ],
    ["manifest", digests.manifest],
    [
      "registry_manifests",
      new Map<string, PyValue>(
        MANIFEST_FORMATS.map((format) => [
          format,
          new Map<string, PyValue>([
            ["layers", "uncompressed"],
            ["media_type", digests.registryManifests[format].mediaType],
            ["digest", digests.registryManifests[format].digest],
          ]),
        ]),
      ).set("oci_gzip", pushedEntry(digests, "oci")).set("docker_gzip", pushedEntry(digests, "docker")),
    ],
  ]);
  return `${dumpsPythonJson(document, 2, { profile: digests.python })}\n`;
}
