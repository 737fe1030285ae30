/**
 * Everything before the first byte: the times, the customisation layer, the
 * base image, and the hash pass of every store layer, which walks and reads
 * all of them.  The reference hashes a layer just before streaming it;
 * hashing all of them first gives the same bytes, and makes every bad path,
 * socket or unreadable file an error before anything is written.
 */
import type { ImageConf } from "../conf/validate.ts";
import { generationRules } from "../profile/generation.ts";
import type { PythonVersion } from "../profile/python.ts";
import { layerStyle, type LayerStyle } from "../layer/layer-walk.ts";
import { checkCustomisationLayer, type CustomisationLayer } from "../layer/customisation-layer.ts";
import type { Pause } from "../workers/pause.ts";
import { hashPassSteps, type HashElsewhere, type HashedLayer } from "../passes/hash-passes.ts";
import { ImageDigestCache } from "../passes/digest-cache.ts";
import { openBaseImage, overlayBaseConfig, type BaseImage } from "../base-image/base-image.ts";
import { systemClock } from "../py/datetime/datetime.ts";
import type { PyValue } from "../py/value.ts";
import { describeImage, imageLayers } from "./describe.ts";
import { imageTimes } from "./times.ts";
import type { ImageDescription, ImageOptions, ImageTestHooks } from "./types.ts";

/** What the checks and hash passes leave for the stream pass. */
export interface Prepared {
  readonly description: ImageDescription;
  readonly customisation: CustomisationLayer;
  readonly hashed: readonly HashedLayer[];
  readonly style: LayerStyle;
  /** The base image (`from_image`), open until the prepared image is closed. */
  readonly base: BaseImage | undefined;
  readonly cache: ImageDigestCache | undefined;
}

/** What streaming a prepared image needs: the conf, the caller's options, the profile, the hash passes' results. */
export interface ImageRun {
  readonly conf: ImageConf;
  readonly options: ImageOptions;
  readonly python: PythonVersion;
  readonly prepared: Prepared;
  readonly hooks: ImageTestHooks;
}

/**
 * The checks and the hash passes, as steps (see workers/pause.ts): throws
 * ConfError or CannotArchiveError.  `elsewhere`: the store layers the digest
 * cache does not know are hashed by it instead (push's first pass; the
 * asynchronous driver only).
 */
export function* prepare(conf: ImageConf, python: PythonVersion, options: ImageOptions, elsewhere?: HashElsewhere): Generator<Pause, Prepared> {
  const { created, mtime } = imageTimes(conf, python, options.now ?? systemClock);
  // How the conf's generation writes store layers: its rules, the owner from the conf where they say so.
  const style = layerStyle(generationRules(conf.generation), conf.current?.owner);
  const customisation = checkCustomisationLayer(conf.customisationLayer, options.root);
  const cache = options.digestCache === undefined || options.digestCache === false ? undefined : new ImageDigestCache(options.digestCache, conf.storeLayers, { python, style, mtime, root: options.root });
  const fromImage = conf.current?.fromImage;
  const opened = fromImage === undefined ? undefined : openBaseImage(fromImage, options.root, python);
  let base: BaseImage | undefined;
  let hashed: HashedLayer[];
  let config: PyValue;
  let complete = false;
  try {
    // A plain archive is read at once; a gzip one decompresses on another thread during the hash passes.
    if (opened !== undefined && !opened.pending) base = yield* opened.load();
    try {
      if (cache !== undefined) yield* cache.check();
      hashed = yield* hashPassSteps(conf.storeLayers, mtime, { root: options.root, python, progress: options.progress, style, recordWalks: cache !== undefined, known: cache === undefined ? undefined : (num) => cache.known(num), elsewhere });
    } catch (error) {
      // The script reads its base image before any store layer: a bad one is the error to report.
      if (opened !== undefined && base === undefined) base = yield* opened.load();
      throw error;
    }
    if (opened !== undefined && base === undefined) base = yield* opened.load();
    cache?.remember(hashed);
    config = base === undefined ? conf.config : overlayBaseConfig(base.config, conf.config, base.file);
    complete = true;
  } finally {
    // Also when abandoned midway (the async caller's wait rejected): nothing may stay open or running.
    opened?.cancel();
    if (!complete) base?.close();
  }
  const description = describeImage(conf, python, created, mtime, imageLayers(conf, base, hashed, customisation), config);
  return { description, customisation, hashed, style, base, cache };
}
