/**
 * `verify`: is IMAGE exactly what CONF produces?  The expected image is
 * streamed from the store and compared with IMAGE as it is read, in constant
 * memory; neither is written anywhere.  When they differ, the first
 * difference is located (compare.ts) and, from IMAGE's config name, the
 * oracle (`--generation` × `--python`) that would have written IMAGE is
 * looked for (oracles.ts).
 */
import type { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { prepareImage } from "../image/image.ts";
import type { ImageOptions, PreparedImage } from "../image/types.ts";
import { CachedDigestMismatchError } from "../passes/digest-cache.ts";
import { LayerChangedError } from "../passes/entry-log.ts";
import { DEFAULT_PYTHON, type PythonVersion } from "../profile/python.ts";
import type { ImageConf } from "../conf/validate.ts";
import type { MicrosecondClock } from "../py/datetime/datetime.ts";
import { AsyncIterableSource, GeneratorSource, SourceReadError } from "./byte-source.ts";
import { compareImages, type ImageDifference } from "./compare.ts";
import { oracleOutcomes, type ConfForOracle, type OracleOutcome } from "./oracles.ts";
import type { Generation } from "../profile/generation.ts";

export type { ImageDifference } from "./compare.ts";
export type { OracleOutcome } from "./oracles.ts";

/** @deprecated The name OracleOutcome had before "profile" came to mean the CPython version alone. */
export type ProfileOutcome = OracleOutcome;

/** IMAGE could not be read (missing file, read error): no verdict. */
export class ImageReadError extends Error {
  readonly image: string;
  constructor(image: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot read image ${JSON.stringify(image)}: ${reason}`, options);
    this.image = image;
    this.name = "ImageReadError";
  }
}

export interface VerifyOptions {
  /** The CPython profile to verify against (default: the newest); the generation is the conf's. */
  readonly python?: PythonVersion;
  readonly root?: string;
  readonly now?: MicrosecondClock;
  /**
   * When IMAGE differs, run every other oracle's hash passes to find the
   * one that would have written it (default true).
   */
  readonly otherOracles?: boolean;
  /** How IMAGE is named in errors (default "IMAGE"). */
  readonly imageName?: string;
  /**
   * The digest cache of CONF's hash passes (none when absent).  The stream
   * checks a cached layer's sha256 at its end; when IMAGE differs before
   * that, every cached layer is read and hashed, so a stale entry is never
   * what makes IMAGE differ (CachedDigestMismatchError: nothing compared).
   */
  readonly digestCache?: ImageOptions["digestCache"];
}

export interface VerifyResult {
  readonly identical: boolean;
  readonly python: PythonVersion;
  /** The script generation verified against (the conf's, or the one chosen). */
  readonly generation: Generation;
  /** The image id CONF gives under `python`: `sha256:<config sha>`. */
  readonly imageId: string;
  readonly difference: ImageDifference | undefined;
  /** IMAGE's config member name (`<sha>.json`), when IMAGE could be walked that far. */
  readonly imageConfig: string | undefined;
  /** Every oracle's config name, grouped (only when IMAGE differs and otherOracles is on). */
  readonly oracles: readonly OracleOutcome[] | undefined;
  /** The CPython profiles whose image has IMAGE's config name, under matchingGeneration. */
  readonly matchingProfiles: readonly PythonVersion[];
  /** The generation of matchingProfiles (undefined when none matches). */
  readonly matchingGeneration: Generation | undefined;
}

/** A conf as parsed for one oracle (json.load differs slightly between CPythons), or one conf for all. */
export type ConfFor = ImageConf | ConfForOracle;

const CONFIG_NAME = /^[0-9a-f]{64}\.json$/;

/** Each layer whose digests came from the digest cache, read and hashed: a stale entry is dropped and thrown. */
async function checkCachedLayers(prepared: PreparedImage): Promise<void> {
  const firstStore = prepared.layers.findIndex((layer) => layer.kind === "store");
  for (const index of prepared.cachedLayers) {
    const layer = prepared.layers[index]!;
    const hash = createHash("sha256");
    try {
      for await (const chunk of prepared.asyncLayerChunks(index)) hash.update(chunk);
    } catch (error) {
      // Its size or CRC-32 is not the entry's, or the store changed under the read.
      if (error instanceof LayerChangedError) prepared.forgetCachedDigest(index);
      throw error;
    }
    const streamed = hash.digest("hex");
    if (streamed === layer.sha256) continue;
    prepared.forgetCachedDigest(index);
    throw new CachedDigestMismatchError(index - firstStore, layer.storePaths.map(String), `sha256:${streamed} streamed, sha256:${layer.sha256} recorded`);
  }
}

export async function verifyImage(conf: ConfFor, image: Readable | AsyncIterable<Buffer | Uint8Array | string>, options: VerifyOptions = {}): Promise<VerifyResult> {
  const python = options.python ?? DEFAULT_PYTHON;
  const confFor = typeof conf === "function" ? conf : () => conf;
  const found = new AsyncIterableSource(image, () => {
    if ("destroy" in image && typeof image.destroy === "function") image.destroy();
  });
  let prepared;
  let generation: Generation;
  try {
    const conf = confFor(python);
    generation = conf.generation;
    prepared = prepareImage(conf, { python, root: options.root, now: options.now, reuseChunks: true, digestCache: options.digestCache });
  } catch (error) {
    found.close();
    throw error;
  }
  const expected = new GeneratorSource(prepared.chunks());
  let comparison;
  try {
    comparison = await compareImages(prepared, python, expected, found);
    if (comparison.difference !== undefined) await checkCachedLayers(prepared);
  } catch (error) {
    if (!(error instanceof SourceReadError)) throw error;
    const cause = error.cause as NodeJS.ErrnoException;
    throw new ImageReadError(options.imageName ?? "IMAGE", cause.code ?? cause.message, { cause });
  } finally {
    expected.close();
    found.close();
    prepared.close();
  }
  const imageId = `sha256:${prepared.configName.replace(/\.json$/, "")}`;
  const { difference } = comparison;
  const imageConfig = comparison.imageMembers.find((name) => CONFIG_NAME.test(name));
  if (difference === undefined) {
    return { identical: true, python, generation, imageId, difference, imageConfig, oracles: undefined, matchingProfiles: [python], matchingGeneration: generation };
  }
  const oracles =
    // Same config name as ours: IMAGE claims our digests, no other oracle can be it.
    options.otherOracles === false || imageConfig === undefined || imageConfig === prepared.configName
      ? undefined
      : oracleOutcomes(confFor, { root: options.root, now: options.now, digestCache: options.digestCache, known: { python, generation, config: prepared.configName } });
  const match = oracles?.find((o) => o.config === imageConfig);
  const same = imageConfig === prepared.configName;
  const matchingProfiles = match?.versions ?? (same ? [python] : []);
  const matchingGeneration = match?.generation ?? (same ? generation : undefined);
  return { identical: false, python, generation, imageId, difference, imageConfig, oracles, matchingProfiles, matchingGeneration };
}
