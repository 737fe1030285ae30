/**
 * `digest`: the digests an image would have, from the hash passes alone.
 * The document is written with Python's json rules (dumpsPythonJson) because
 * the manifest may hold any JSON value the conf gave as repo_tag (big ints,
 * NaN), which JSON.parse/stringify would change.
 */
import { prepareImage } from "../image/image.ts";
import type { ImageDescription, ImageOptions } from "../image/types.ts";
import { DEFAULT_PYTHON, type PythonVersion } from "../profile/python.ts";
import type { ImageConf } from "../conf/validate.ts";
import { dumpsPythonJson, parsePythonJson } from "../py/json/json.ts";
import type { PyValue } from "../py/value.ts";
import type { Generation } from "../profile/generation.ts";
import { buildManifest, MANIFEST_FORMATS, type ManifestFormat } from "../oci/manifest.ts";

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
}

export function digestsOf(image: ImageDescription, python: PythonVersion, generation: Generation): ImageDigests {
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
  };
}

/** Runs the hash passes only: nothing is streamed.  Throws ConfError/CannotArchiveError as prepareImage does. */
export function imageDigests(conf: ImageConf, options: Omit<ImageOptions, "reuseChunks"> = {}): ImageDigests {
  const python = options.python ?? DEFAULT_PYTHON;
  const image = prepareImage(conf, { ...options, python });
  image.close();
  return digestsOf(image, python, conf.generation);
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
      ),
    ],
  ]);
  return `${dumpsPythonJson(document, 2, { profile: digests.python })}\n`;
}
