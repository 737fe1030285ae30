/**
 * The library's image entry points: prepareImage (every check and hash pass,
 * nothing written) and the PreparedImage it gives, whose chunks are the
 * stream pass (stream.ts) or one layer's blob; imageChunks, writeImage and
 * streamImage on top.
 */
import type { Writable } from "node:stream";
import type { ImageConf } from "../conf/validate.ts";
import { DEFAULT_PYTHON } from "../profile/python.ts";
import { StreamSink, type Sink } from "../layer/sinks.ts";
import { chunksAsync, chunksSync, runAsync, runSync, type Pause } from "../workers/pause.ts";
import type { BaseImage } from "../base-image/base-image.ts";
import { prepare, type ImageRun } from "./prepare.ts";
import { baseLayerBlob, customisationTarBytes, fileBytes } from "./reads.ts";
import { storeLayerItems, streamImageItems } from "./stream.ts";
import { DigestCache, defaultDigestCacheDir } from "../passes/digest-cache.ts";
import type { HashElsewhere } from "../passes/hash-passes.ts";
import type { ImageOptions, ImageTestHooks, PreparedImage } from "./types.ts";

/**
 * The reference's `main()` after reading the conf, as chunks of the outer
 * tarball: each store layer hashed then streamed, the customisation layer,
 * the config JSON and manifest.json.  Bad input is found before the first
 * chunk; a layer that changes between its two passes ends the stream early
 * with LayerChangedError naming the path, so the tarball is never complete.
 */
export function imageChunks(conf: ImageConf, options: ImageOptions = {}): Generator<Buffer> {
  return prepareImage(conf, options).chunks();
}

/**
 * Checks everything knowable up front and runs every layer's hash pass
 * (throws ConfError or CannotArchiveError), without writing anything.  The
 * result already knows every digest, the config JSON and the manifest.
 * Blocks this thread for the whole hash passes: prepareImageAsync does not.
 */
export function prepareImage(conf: ImageConf, options: ImageOptions = {}): PreparedImage {
  return prepareImageWithHooks(conf, options, {});
}

/** prepareImage letting the event loop run between chunks (a server embedding the library keeps serving). */
export function prepareImageAsync(conf: ImageConf, options: ImageOptions = {}): Promise<PreparedImage> {
  return prepareImageAsyncWithHooks(conf, options, {});
}

/** prepareImage with the tests' fault injection. */
export function prepareImageWithHooks(conf: ImageConf, options: ImageOptions, hooks: ImageTestHooks): PreparedImage {
  const python = options.python ?? DEFAULT_PYTHON;
  return preparedImage({ conf, options, python, prepared: runSync(prepare(conf, python, options)), hooks });
}

/** prepareImageAsync with the tests' fault injection. */
export async function prepareImageAsyncWithHooks(conf: ImageConf, options: ImageOptions, hooks: ImageTestHooks): Promise<PreparedImage> {
  return prepareImageHashingElsewhere(conf, options, hooks, undefined);
}

/**
 * prepareImageAsync whose store layers the digest cache does not know are
 * hashed by `elsewhere` (push: each such layer uploaded as it is hashed).
 */
export async function prepareImageHashingElsewhere(conf: ImageConf, options: ImageOptions, hooks: ImageTestHooks, elsewhere: HashElsewhere | undefined): Promise<PreparedImage> {
  const python = options.python ?? DEFAULT_PYTHON;
  return preparedImage({ conf, options, python, prepared: await runAsync(prepare(conf, python, options, elsewhere)), hooks });
}

/** The backstop for a caller that forgets close(): a descriptor per prepared image would pile up. */
const unclosed = new FinalizationRegistry<BaseImage>((base) => base.close());

function preparedImage(run: ImageRun): PreparedImage {
  const { prepared } = run;
  const items = () => streamImageItems(run);
  const layerItems = (index: number) => oneLayerItems(run, index);
  const { base, cache } = prepared;
  const baseCount = base?.layers.length ?? 0;
  const image: PreparedImage = {
    ...prepared.description,
    chunks: () => chunksSync(items()),
    asyncChunks: () => chunksAsync(items()),
    layerChunks: (index) => chunksSync(layerItems(index)),
    asyncLayerChunks: (index) => chunksAsync(layerItems(index)),
    cachedLayers: new Set([...(cache?.reused ?? [])].map((num) => baseCount + num)),
    forgetCachedDigest: (index) => cache?.forget(index - baseCount),
    close: () => {
      if (base === undefined) return;
      unclosed.unregister(base);
      base.close();
    },
  };
  // Keyed on run, which every generator of this image holds too: never closed under a running stream.
  if (base !== undefined) unclosed.register(run, base, base);
  return image;
}

/**
 * Layer `index` of the image alone (its blob, as a registry or an OCI layout
 * stores it): a store layer's stream pass with all its checks, or the
 * customisation layer's layer.tar.  Chunks are reused: each is valid only
 * until the next is requested.  Each kind of layer is one branch here.
 */
function* oneLayerItems(run: ImageRun, index: number): Generator<Buffer | Pause, void> {
  const { conf, prepared } = run;
  const layer = prepared.description.layers[index];
  if (layer === undefined) throw new RangeError(`no layer ${index}: the image has ${prepared.description.layers.length}`);
  const baseCount = prepared.base?.layers.length ?? 0;
  if (layer.kind === "base") {
    yield* baseLayerBlob(prepared.base!, index);
    return;
  }
  if (layer.kind === "store") {
    yield* storeLayerItems(run, index - baseCount, conf.storeLayers[index - baseCount]!);
    return;
  }
  // The file's bytes as they are (no tar padding: the blob is the file).
  yield* customisationTarBytes(prepared.customisation, (fd, stat) => fileBytes(fd, stat.size, 0));
}

/**
 * The stream's digest cache: the default directory's unless the caller gave
 * one or false.  Safe by default because a cached layer's bytes are checked
 * against its entry's sha256 as they stream, before the image can end.
 */
function withDefaultCache(options: ImageOptions): ImageOptions {
  return options.digestCache !== undefined ? options : { ...options, digestCache: new DigestCache(defaultDigestCacheDir()) };
}

/**
 * Writes the whole image for `conf` to `sink` (see StreamSink for Node
 * streams), letting the event loop run between chunks of every pass.  Uses
 * the default digest cache unless `options.digestCache` says otherwise.
 */
export async function writeImage(conf: ImageConf, sink: Sink, options: ImageOptions = {}): Promise<void> {
  const image = await prepareImageAsync(conf, withDefaultCache(options));
  try {
    for await (const chunk of image.asyncChunks()) {
      const wait = sink.write(chunk);
      if (wait !== undefined) await wait;
    }
  } finally {
    image.close();
  }
}

/** The library's one-call entry: the image for `conf` written to a Node stream, honouring backpressure. */
export async function streamImage(conf: ImageConf, stream: Writable, options: ImageOptions = {}): Promise<void> {
  await writeImage(conf, new StreamSink(stream), options);
}

