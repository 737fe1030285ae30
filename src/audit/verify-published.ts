/**
 * `verify CONF IMAGE` for an image as published (a registry, an OCI layout,
 * any tool's archive): its bytes are not the docker-archive the script
 * streams, its content is.  It proves what it can at the cheapest level:
 * the config's digest is the image id the conf gives (the config lists
 * every diff_id, so that proves every layer) and nothing else is read; or
 * the config, fetched, has the conf's values written again by another tool
 * (a conversion to OCI); when it has not, its differences are named, and only the
 * layers whose diff_id differs are fetched, decompressed and walked beside
 * the layer the conf gives, to the first differing member and field.
 */
import { prepareImage } from "../image/image.ts";
import type { ImageOptions, PreparedImage } from "../image/types.ts";
import { DEFAULT_PYTHON, type PythonVersion } from "../profile/python.ts";
import type { Generation } from "../profile/generation.ts";
import type { ImageConf } from "../conf/validate.ts";
import type { MicrosecondClock } from "../py/datetime/datetime.ts";
import type { BlobRef, ImageSource, Platform, ResolvedImage } from "../oci/image-source.ts";
import { BlobMismatchError } from "../oci/image-source.ts";
import { layerContent } from "../oci/blob-content.ts";
import { AsyncIterableSource, GeneratorSource } from "./byte-source.ts";
import { compareBytes, compareLayer, type Located } from "./tar-walk.ts";
import { diffConfigs } from "./config-diff.ts";
import { configDiffIds, readConfig } from "./diff-sides.ts";
import type { ConfigDifference } from "./diff-types.ts";

export interface PublishedVerifyOptions {
  readonly python?: PythonVersion;
  readonly root?: string;
  readonly now?: MicrosecondClock;
  /** The image of an index to read (default linux/ + the conf's architecture). */
  readonly platform?: Platform;
  /** Fetch every layer: blob digest against the manifest, content against the config's diff_id. */
  readonly layers?: boolean;
  /** The digest cache of CONF's hash passes (none when absent): a current entry's digests are trusted, as `digest` trusts them. */
  readonly digestCache?: ImageOptions["digestCache"];
}

/** What became of one layer. */
export interface LayerVerdict {
  readonly index: number;
  /** `not fetched`: its diff_id is the conf's; `same`: fetched (--layers) and it checks out; `differs`: fetched and walked. */
  readonly status: "not fetched" | "same" | "differs" | "extra" | "missing";
  /** The first difference inside it (status "differs"). */
  readonly difference: Located | undefined;
  /** The diff_id the conf gives, and the one the image's config gives. */
  readonly expectedDiffId: string | undefined;
  readonly foundDiffId: string | undefined;
  /** Where the image keeps it. */
  readonly location: string | undefined;
}

export interface PublishedVerifyResult {
  readonly identical: boolean;
  readonly python: PythonVersion;
  readonly generation: Generation;
  /** `sha256:<hex>` of the config the conf gives (the image id). */
  readonly imageId: string;
  readonly image: ResolvedImage;
  /**
   * The image's config is not the conf's bytes but has its values: another
   * tool wrote it again (skopeo and podman converting to OCI reorder keys,
   * drop the spacing, write times with "Z").
   */
  readonly configConverted: boolean;
  /** The config's JSON differences (empty when the config is the conf's, or converted). */
  readonly configDifferences: readonly ConfigDifference[];
  readonly layers: readonly LayerVerdict[];
  /** Layers fetched (and decompressed) to reach the verdict. */
  readonly layersFetched: number;
  /** Bytes read from where IMAGE is. */
  readonly bytesRead: number;
}

/** The platform picked from an index when nothing says which: the script's images are Linux amd64 unless the conf says otherwise. */
export const FALLBACK_PLATFORM: Platform = { os: "linux", architecture: "amd64" };

/** `linux/` and the conf's architecture, as the script's image says. */
export function defaultPlatform(conf: ImageConf): Platform {
  return typeof conf.architecture === "string" ? { os: "linux", architecture: conf.architecture } : FALLBACK_PLATFORM;
}

class PublishedVerification {
  private readonly prepared: PreparedImage;
  private readonly source: ImageSource;
  private readonly image: ResolvedImage;
  private readonly name: string;
  /** --layers: a layer walked to its first difference is still read to its end, so its blob digest is checked too. */
  private readonly readWhole: boolean;
  fetched = 0;

  constructor(prepared: PreparedImage, source: ImageSource, image: ResolvedImage, readWhole: boolean) {
    this.prepared = prepared;
    this.source = source;
    this.image = image;
    this.name = image.name;
    this.readWhole = readWhole;
  }

  private expectedDiffId(index: number): string | undefined {
    const layer = this.prepared.layers[index];
    return layer === undefined ? undefined : `sha256:${layer.sha256}`;
  }

  /** Decompresses the layer blob as it arrives, its digest checked underneath; throws BlobMismatchError when the content is not `diffId`. */
  private async *content(blob: BlobRef, index: number, diffId: string | undefined): AsyncGenerator<Buffer> {
    this.fetched++;
    const label = `layer ${index} (${blob.location})`;
    const content = layerContent(this.source, blob, this.name, label);
    yield* content.chunks;
    const found = content.result().digest;
    if (diffId !== undefined && found !== diffId) throw new BlobMismatchError(this.name, `${label}: its content has digest ${found}, its config gives the diff_id ${diffId}`);
  }

  /** Layer `index` fetched and walked beside the conf's. */
  async walk(index: number, foundDiffId: string | undefined): Promise<LayerVerdict> {
    const blob = this.image.layers[index]!;
    const expected = new GeneratorSource(this.prepared.layerChunks(index));
    const chunks = this.content(blob, index, foundDiffId);
    const found = new AsyncIterableSource(chunks);
    try {
      const difference = this.prepared.layers[index]!.customisation
        ? await compareBytes(expected, found, undefined, "content of layer.tar (copied as is from the customisation layer)")
        : await compareLayer(expected, found);
      const base = { index, expectedDiffId: this.expectedDiffId(index), foundDiffId, location: blob.location };
      if (difference !== undefined && this.readWhole) for await (const rest of chunks) void rest;
      if (difference !== undefined) return { ...base, status: "differs", difference };
      // Read to its end without a difference, the content check has already
      // thrown (its bytes are the conf's, so not the diff_id the config gives);
      // should it not have, the config still misnames this layer.
      throw new BlobMismatchError(this.name, `layer ${index} (${blob.location}) has the content the conf gives (diff_id ${base.expectedDiffId}), but the image's config names it ${foundDiffId}`);
    } finally {
      expected.close();
      found.close();
    }
  }

  /** Layer `index` fetched whole: its blob digest and content diff_id are checked by the reading itself. */
  async check(index: number, diffId: string | undefined): Promise<void> {
    for await (const chunk of this.content(this.image.layers[index]!, index, diffId)) void chunk;
  }
}

async function layerVerdicts(verification: PublishedVerification, expectedIds: readonly string[], foundIds: readonly (string | undefined)[], image: ResolvedImage, all: boolean): Promise<LayerVerdict[]> {
  const verdicts: LayerVerdict[] = [];
  const count = Math.max(expectedIds.length, image.layers.length);
  for (let index = 0; index < count; index++) {
    const expectedDiffId = expectedIds[index];
    const foundDiffId = foundIds[index];
    const location = image.layers[index]?.location;
    if (index >= image.layers.length) verdicts.push({ index, status: "missing", difference: undefined, expectedDiffId, foundDiffId, location });
    else if (expectedDiffId === undefined) verdicts.push({ index, status: "extra", difference: undefined, expectedDiffId, foundDiffId, location });
    else if (expectedDiffId !== foundDiffId) verdicts.push(await verification.walk(index, foundDiffId));
    else {
      if (all) await verification.check(index, foundDiffId);
      verdicts.push({ index, status: all ? "same" : "not fetched", difference: undefined, expectedDiffId, foundDiffId, location });
    }
  }
  return verdicts;
}

/** Verifies a published IMAGE against CONF (see the file's comment); throws ImageSourceError, BlobMismatchError, ConfError, CannotArchiveError. */
export async function verifyPublished(conf: ImageConf, source: ImageSource, options: PublishedVerifyOptions = {}): Promise<PublishedVerifyResult> {
  const python = options.python ?? DEFAULT_PYTHON;
  const prepared = prepareImage(conf, { python, root: options.root, now: options.now, digestCache: options.digestCache });
  try {
    const image = await source.resolve(options.platform ?? defaultPlatform(conf));
    const imageId = `sha256:${prepared.configName.replace(/\.json$/, "")}`;
    const expectedIds = prepared.layers.map((layer) => `sha256:${layer.sha256}`);
    const sameConfig = image.config.digest === imageId;
    const foundConfig = sameConfig ? prepared.configBytes : await readConfig(source, image);
    const foundIds = sameConfig ? expectedIds : configDiffIds(foundConfig);
    if (image.layers.length !== foundIds.length) {
      throw new BlobMismatchError(image.name, `its manifest lists ${image.layers.length} layers, its config ${foundIds.length} diff_ids`);
    }
    const verification = new PublishedVerification(prepared, source, image, options.layers === true);
    const layers = await layerVerdicts(verification, expectedIds, foundIds, image, options.layers === true);
    const differences = sameConfig ? [] : diffConfigs({ name: "CONF", configBytes: prepared.configBytes, layers: [] }, { name: image.name, configBytes: foundConfig, layers: [] }, {});
    // No difference in value: another tool wrote the conf's config again (an OCI conversion), its diff_ids among the values.
    const configConverted = !sameConfig && differences.length === 0;
    const identical = (sameConfig || configConverted) && layers.every((layer) => layer.status === "not fetched" || layer.status === "same");
    return { identical, python, generation: conf.generation, imageId, image, configConverted, configDifferences: differences, layers, layersFetched: verification.fetched, bytesRead: source.bytesRead };
  } finally {
    prepared.close();
  }
}
