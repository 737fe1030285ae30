import { closeSync, fstatSync, readSync, type Stats } from "node:fs";
import { createHash } from "node:crypto";
import { encodeHeader, type TarHeader } from "../tar/header.ts";
import { TypeFlag } from "../tar/constants.ts";
import { ShortReadError, TarChunker } from "../tar/writer.ts";
import { layerChunks, LAYER_STYLE_2020, type EntryRecord, type LayerStyle } from "../layer/layer.ts";
import { generationProfile } from "../profile/generation.ts";
import { openBaseImage, overlayBaseConfig, type BaseImage } from "../base-image/base-image.ts";
import { LayerChangedError } from "../passes/entry-log.ts";
import { hashPassSteps } from "../passes/hash-passes.ts";
import type { ProgressEvent } from "../passes/progress-event.ts";
import { ImageDigestCache, type DigestCache } from "../passes/digest-cache.ts";
import { YIELD, chunksAsync, chunksSync, runAsync, runSync, type Pause } from "../workers/pause.ts";
import { checkCustomisationLayer, openCustomisationTar, type CustomisationLayer } from "../layer/customisation-layer.ts";
import type { Writable } from "node:stream";
import { StreamSink, type Sink } from "../layer/sinks.ts";
import { acquireLayerHasher, releaseLayerHasher } from "../workers/hash/layer-hasher.ts";
import { DEFAULT_PYTHON, profileFor, type PythonVersion } from "../profile/python.ts";
import type { ImageConf } from "../conf/validate.ts";
import { ConfError } from "../conf/read.ts";
import { CannotArchiveError } from "../store/errors.ts";
import { parseCreated, isoformat, systemClock, timestampSeconds, type MicrosecondClock, type PyDateTime } from "../py/datetime/datetime.ts";
import { PythonError } from "../py/python-errors.ts";
import { dumpsPythonJson } from "../py/json/json.ts";
import { reprList, strValue } from "../py/repr.ts";
import type { PyDict, PyValue } from "../py/value.ts";
import { groupName, userName } from "../store/userdb.ts";

export interface ImageOptions {
  /** The CPython whose bytes to reproduce (default: the newest). */
  readonly python?: PythonVersion;
  /** Read /nix/store/... (store paths and the customisation layer) below this directory. */
  readonly root?: string;
  /** Receives the reference's stderr lines ("Creating layer 0 from paths: [...]"), without newline. */
  readonly log?: (line: string) => void;
  /** The clock behind `"created": "now"` (microseconds since the epoch). */
  readonly now?: MicrosecondClock;
  /**
   * Refill one output buffer: each chunk is valid only until the next is
   * requested, so the consumer must be done with it (written, not queued).
   */
  readonly reuseChunks?: boolean;
  /** Called as each output-sized chunk of a layer is hashed or streamed (for progress displays). */
  readonly progress?: (event: ProgressEvent) => void;
  /**
   * Take store layers' digests from this cache when their store paths are
   * unchanged (no hash pass), and record the ones hashed (see
   * src/passes/digest-cache.ts).  For publishing, where the registry checks the
   * digest of what is uploaded; the tarball streams do not use it.
   */
  readonly digestCache?: DigestCache | undefined;
}

export { LayerChangedError };

/**
 * Fault injection for the tests (not part of the public API): deterministic
 * points between and inside the passes where the store or the bytes change.
 */
export interface ImageTestHooks {
  /** Runs after layer `num`'s hash pass, before its stream pass. */
  readonly betweenPasses?: (num: number) => void;
  /** Replaces a chunk of store layer `num` as read in the stream pass, before any check sees it. */
  readonly streamedChunk?: (num: number, chunk: Buffer) => Buffer;
}

/** tarfile.TarInfo(name) defaults: 0644, uid/gid 0, empty uname/gname, regular file. */
function plainMember(name: string, size: number | bigint, mtime: bigint): TarHeader {
  return { name, mode: 0o644, uid: 0, gid: 0, size, mtime, type: TypeFlag.regular, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0 };
}

/** One layer of the image as its manifest lists it. */
export interface ImageLayer {
  /** The layer tarball's sha256 (hex): its diff_id and directory name. */
  readonly sha256: string;
  /** Size of the layer tarball in bytes. */
  readonly size: number;
  /** Member name in the outer tarball: `<sha256>/layer.tar`. */
  readonly path: string;
  /** The store paths the layer holds, in the conf's order (a layer given as a dict: its keys; the customisation layer: its directory). */
  readonly storePaths: readonly PyValue[];
  /** What the layer is made of: a base image's layer (from_image), store paths (a hash pass), or the customisation layer's ready tarball. */
  readonly kind: "base" | "store" | "customisation";
  /** kind === "customisation" (kept for the library's users). */
  readonly customisation: boolean;
}

/** Everything the outer tarball holds but the layers' bytes: known once every layer is hashed. */
export interface ImageDescription {
  /** `int(created.timestamp())`: every member's mtime. */
  readonly mtime: bigint;
  readonly layers: readonly ImageLayer[];
  /** The config JSON's member name, `<sha256>.json`; its sha256 is the image id. */
  readonly configName: string;
  readonly configBytes: Buffer;
  readonly manifestBytes: Buffer;
}

/** `str(store_layer)`: how print() and the history comment show layer `num` as the conf gives it (a list, a dict, ""). */
function layerText(conf: ImageConf, num: number, python: PythonVersion): string {
  return strValue(conf.storeLayerValues?.[num] ?? [...conf.storeLayers[num]!], python);
}

/** The config JSON and manifest.json exactly as the reference's `main()` dumps them. */
function describeImage(conf: ImageConf, python: PythonVersion, created: PyDateTime, mtime: bigint, layers: ImageLayer[], config: PyValue = conf.config): ImageDescription {
  const baseCount = layers.filter((layer) => layer.kind === "base").length;
  const createdText = isoformat(created);
  const configJson: PyDict = new Map<string, PyValue>([
    ["created", createdText],
    ["architecture", conf.architecture],
    ["os", "linux"],
    ["config", config],
    [
      "rootfs",
      new Map<string, PyValue>([
        ["diff_ids", layers.map((layer) => `sha256:${layer.sha256}`)],
        ["type", "layers"],
      ]),
    ],
    [
      "history",
      layers.map(
        (layer, num) =>
          new Map<string, PyValue>([
            ["created", createdText],
            ["comment", `store paths: ${layer.kind === "store" ? layerText(conf, num - baseCount, python) : reprList([...layer.storePaths], python)}`],
          ]),
      ),
    ],
  ]);
  const configBytes = Buffer.from(dumpsPythonJson(configJson, 4, { profile: python }), "utf8");
  const configName = `${createHash("sha256").update(configBytes).digest("hex")}.json`;
  const manifest: PyValue = [
    new Map<string, PyValue>([
      ["Config", configName],
      ["RepoTags", [conf.repoTag]],
      ["Layers", layers.map((layer) => layer.path)],
    ]),
  ];
  const manifestBytes = Buffer.from(dumpsPythonJson(manifest, 4, { profile: python }), "utf8");
  return { mtime, layers, configName, configBytes, manifestBytes };
}

/**
 * Everything before the first byte: `created`, the customisation layer, and
 * the hash pass of every layer, which walks and reads all of them.  The
 * reference hashes a layer just before streaming it; hashing all of them
 * first gives the same bytes, and makes every bad path, socket or unreadable
 * file an error before anything is written.
 */
function parseTimeKey(name: string, value: string, python: PythonVersion, now: MicrosecondClock): PyDateTime {
  try {
    return parseCreated(value, python, now);
  } catch (error) {
    if (error instanceof PythonError) throw new ConfError(`"${name}": ${error.pythonType}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** How the conf's generation writes store layers: the 2020 constants, or the current script's conf keys. */
export function layerStyleOf(conf: ImageConf): LayerStyle {
  const profile = generationProfile(conf.generation);
  if (conf.current === undefined) return LAYER_STYLE_2020;
  return { owner: conf.current.owner, nixRootMode: profile.nixRootMode, symlinkedStorePathAlone: profile.symlinkedStorePathAlone };
}

function* prepare(conf: ImageConf, python: PythonVersion, options: ImageOptions) {
  // The current script reads the clock once: "now" in created and in mtime is one instant.
  const instant = (options.now ?? systemClock)();
  const now: MicrosecondClock = () => instant;
  const created = parseTimeKey("created", conf.created, python, now);
  // The 2020 script's members take created's time; the current one's, mtime's.
  const mtime = timestampSeconds(conf.current === undefined ? created : parseTimeKey("mtime", conf.current.mtime, python, now));
  const style = layerStyleOf(conf);
  const customisation = checkCustomisationLayer(conf.customisationLayer, options.root);
  const cache = options.digestCache === undefined ? undefined : new ImageDigestCache(options.digestCache, conf.storeLayers, { python, style, mtime, root: options.root });
  const fromImage = conf.current?.fromImage;
  const opened = fromImage === undefined ? undefined : openBaseImage(fromImage, options.root, python);
  let base: BaseImage | undefined;
  let hashed;
  let config: PyValue;
  let complete = false;
  try {
    // A plain archive is read at once; a gzip one decompresses on another thread during the hash passes.
    if (opened !== undefined && !opened.pending) base = yield* opened.load();
    try {
      hashed = yield* hashPassSteps(conf.storeLayers, mtime, { root: options.root, python, progress: options.progress, style, known: cache === undefined ? undefined : (num) => cache.known(num) });
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
  // Base layers first, as the script's add_base_layers writes them.
  const baseLayers: ImageLayer[] = (base?.layers ?? []).map((layer) => ({
    sha256: layer.sha256,
    size: Number(layer.header.size),
    path: layer.path,
    storePaths: [layer.path],
    kind: "base" as const,
    customisation: false,
  }));
  const layers: ImageLayer[] = [
    ...baseLayers,
    ...hashed.map(({ sha256, size }, num) => ({
      sha256,
      size,
      path: `${sha256}/layer.tar`,
      storePaths: conf.storeLayers[num]!,
      kind: "store" as const,
      customisation: false,
    })),
  ];
  layers.push({
    sha256: customisation.checksum,
    size: customisation.size,
    path: `${customisation.checksum}/layer.tar`,
    storePaths: [conf.customisationLayer],
    kind: "customisation",
    customisation: true,
  });
  const description = describeImage(conf, python, created, mtime, layers, config);
  return { description, customisation, hashed, style, base, cache };
}

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

/** An image whose input passed every check that can be made before streaming. */
export interface PreparedImage extends ImageDescription {
  /** The outer tarball's bytes, blocking this thread throughout; faults from here on are LayerChangedError or CannotArchiveError. */
  chunks(): Generator<Buffer>;
  /** The same bytes, letting the event loop run between chunks. */
  asyncChunks(): AsyncGenerator<Buffer>;
  /**
   * The bytes of `layers[index]` alone (a registry blob), checked as the
   * stream pass checks them; may be called again for the same layer.
   * Blocks this thread throughout, as chunks() does.
   */
  layerChunks(index: number): Generator<Buffer>;
  /** The same bytes, letting the event loop run between chunks. */
  asyncLayerChunks(index: number): AsyncGenerator<Buffer>;
  /**
   * Indexes in `layers` of the store layers whose digest, size and CRC-32
   * came from the digest cache, not a hash pass: their bytes were not read,
   * and an upload is what checks them.
   */
  readonly cachedLayers: ReadonlySet<number>;
  /** Drops layer `index`'s digest cache entry (an upload found it stale): the next run hashes the layer. */
  forgetCachedDigest(index: number): void;
  /**
   * Releases the base image's file (`from_image`), held open from the checks
   * to the last layer so it is read as it was checked; after close() only the
   * description stays usable.  Also done when the object is garbage collected.
   */
  close(): void;
}

/** The backstop for a caller that forgets close(): a descriptor per prepared image would pile up. */
const unclosed = new FinalizationRegistry<BaseImage>((base) => base.close());

type Prepared = ReturnType<typeof prepare> extends Generator<Pause, infer T> ? T : never;

/** What streaming a prepared image needs: the conf, the caller's options, the profile, the hash passes' results. */
interface ImageRun {
  readonly conf: ImageConf;
  readonly options: ImageOptions;
  readonly python: PythonVersion;
  readonly prepared: Prepared;
  readonly hooks: ImageTestHooks;
}

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
 * Checks everything knowable up front and runs every layer's hash pass
 * (throws ConfError or CannotArchiveError), without writing anything.  The
 * result already knows every digest, the config JSON and the manifest.
 * Blocks this thread for the whole hash passes: prepareImageAsync does not.
 */
export function prepareImage(conf: ImageConf, options: ImageOptions = {}): PreparedImage {
  return prepareImageWithHooks(conf, options, {});
}

/**
 * One store layer's stream pass: its tarball bytes, each member compared with
 * the hash pass's entry log and the whole layer's CRC-32 with the hash pass's,
 * so a store change between the passes fails naming the path.
 */
function* storeLayerItems({ options, python, prepared, hooks }: ImageRun, num: number, paths: readonly string[]): Generator<Buffer | Pause, void> {
  const { crc32, size, entries } = prepared.hashed[num]!;
  const { mtime } = prepared.description;
  // A layer may be streamed again (a retried upload): compare from its first member.
  entries.rewind();
  let streamed = 0;
  const onEntry = (record: EntryRecord): void => entries.check(num, record);
  // The other core checks the very buffers copied to the output: a CRC-32
  // of the whole layer, ten times cheaper than a second sha256, catches any
  // accidental change (a deliberate collision needs write access to the
  // store, which could change a file before the hash pass just as well).
  const hasher = acquireLayerHasher();
  // Empty files were opened in the hash pass; one made unreadable since
  // changed its mode or ctime, which the entry check reports.
  const layer = layerChunks(paths, mtime, { root: options.root, python, style: prepared.style, reuseChunks: true, onEntry, nextBuffer: () => hasher.nextBuffer(), openEmptyFiles: false });
  try {
    yield* hasher.begin(false);
    for (;;) {
      // The walk asks for a buffer in this step: make sure one is free.
      yield* hasher.room();
      const next = layer.next();
      if (next.done) break;
      const chunk = hooks.streamedChunk?.(num, next.value) ?? next.value;
      if (streamed + chunk.length > size) throw new LayerChangedError(num, `it grew beyond the ${size} bytes hashed`);
      hasher.update(chunk);
      streamed += chunk.length;
      yield chunk;
      yield YIELD;
    }
    entries.checkComplete(num);
    if (streamed !== size) throw new LayerChangedError(num, `${streamed} bytes streamed, ${size} hashed`);
    if ((yield* hasher.finish()).crc32 !== crc32) throw new LayerChangedError(num, "its content differs from the hashed one");
  } finally {
    // Also when the consumer stops early (for-of break, verify's first difference).
    layer.return(undefined);
    releaseLayerHasher(hasher);
  }
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
  const python = options.python ?? DEFAULT_PYTHON;
  return preparedImage({ conf, options, python, prepared: await runAsync(prepare(conf, python, options)), hooks });
}

function* streamImageItems(run: ImageRun): Generator<Buffer | Pause, void> {
  const { conf, options, python, prepared, hooks } = run;
  const { description, customisation, hashed, base } = prepared;
  const generation = generationProfile(conf.generation);
  const { tarFormat } = profileFor(python);
  const { mtime } = description;
  const log = options.log ?? (() => {});
  const outer = new TarChunker(options.reuseChunks);
  const layers = hashed.length;
  const imageBytesTotal = hashed.reduce((total, layer) => total + layer.size, 0);
  let imageBytesDone = 0;

  const baseCount = base?.layers.length ?? 0;
  if (base === undefined) {
    if (generation.noBaseImageLine !== undefined) log(generation.noBaseImageLine);
  } else yield* baseLayerChunks(base, outer, tarFormat, log);
  const firstNumber = generation.firstStoreLayerNumber(baseCount);
  for (const [num, paths] of conf.storeLayers.entries()) {
    log(`Creating layer ${num + firstNumber} from paths: ${layerText(conf, num, python)}`);
    const { size } = hashed[num]!;
    hooks.betweenPasses?.(num);

    yield* outer.bytes(encodeHeader(plainMember(description.layers[baseCount + num]!.path, size, mtime), tarFormat));

    let streamed = 0;
    for (const item of storeLayerItems(run, num, paths)) {
      if (!Buffer.isBuffer(item)) {
        yield item;
        continue;
      }
      streamed += item.length;
      imageBytesDone += item.length;
      yield* outer.bytes(item);
      options.progress?.({ phase: "streaming", layer: num, layers, layerBytesDone: streamed, layerBytesTotal: size, imageBytesDone, imageBytesTotal });
    }
    yield* outer.padToBlock();
  }

  log(generation.customisationLine(baseCount + layers));
  yield* customisationTarBytes(customisation, function* (fd, stat) {
    // gettarinfo: mode, ids and names from the file; the script sets name and mtime.
    const header: TarHeader = {
      ...plainMember(description.layers[baseCount + layers]!.path, stat.size, mtime),
      mode: stat.mode,
      uid: stat.uid,
      gid: stat.gid,
      uname: userName(stat.uid),
      gname: groupName(stat.gid),
    };
    yield* outer.bytes(encodeHeader(header, tarFormat));
    yield* outer.fileContent(fd, stat.size);
  });

  log("Adding manifests...");
  yield* outer.bytes(encodeHeader(plainMember(description.configName, description.configBytes.length, mtime), tarFormat));
  yield* outer.bytes(description.configBytes);
  yield* outer.padToBlock();
  yield* outer.bytes(encodeHeader(plainMember("manifest.json", description.manifestBytes.length, mtime), tarFormat));
  yield* outer.bytes(description.manifestBytes);
  yield* outer.padToBlock();

  log("Done.");
  yield* outer.finish();
}

/**
 * `add_base_layers`: each base layer's member header as tarfile read it,
 * written again, then the bytes extractfile gives (none for a link or a
 * directory), then the line.
 */
function* baseLayerChunks(base: BaseImage, outer: TarChunker, tarFormat: ReturnType<typeof profileFor>["tarFormat"], log: (line: string) => void): Generator<Buffer> {
  for (const [num, layer] of base.layers.entries()) {
    yield* outer.bytes(encodeHeader(layer.header, tarFormat));
    yield* namingShortRead(JSON.stringify(base.file), "the base image changed while being read", outer.fileContent(base.fd, layer.copySize, layer.dataOffset));
    log(`Adding base layer ${num + 1} from ${layer.path}`);
  }
}

/**
 * Base layer `index` alone, as a registry blob: its member's bytes in the
 * base archive.  A member that is a link carries no bytes of its own in the
 * image the script writes, so it cannot be a blob: refused.
 */
function* baseLayerBlob(base: BaseImage, index: number): Generator<Buffer> {
  const layer = base.layers[index]!;
  if (layer.header.type !== TypeFlag.regular || layer.copySize !== Number(layer.header.size)) {
    throw new CannotArchiveError(JSON.stringify(base.file), `base layer ${layer.path} is a link in the base archive: it cannot be published as a blob`);
  }
  yield* namingShortRead(JSON.stringify(base.file), "the base image changed while being read", fileBytes(base.fd, layer.copySize, layer.dataOffset));
}

/** Runs `reading`, turning a short read (the file changed under it) into CannotArchiveError naming `shownAs`. */
function* namingShortRead(shownAs: string, what: string, reading: Generator<Buffer>): Generator<Buffer> {
  try {
    yield* reading;
  } catch (error) {
    if (error instanceof ShortReadError) throw new CannotArchiveError(shownAs, `${what} (${error.message})`, { cause: error });
    throw error;
  }
}

/**
 * The customisation layer's layer.tar, opened for `read` and closed after:
 * its size must still be the one checked before the first byte, and a change
 * while it is read names it.
 */
function* customisationTarBytes(customisation: CustomisationLayer, read: (fd: number, stat: Stats) => Generator<Buffer>): Generator<Buffer> {
  const fd = openCustomisationTar(customisation);
  try {
    yield* namingShortRead(
      JSON.stringify(customisation.tarShownAs),
      "file changed size while being read",
      (function* () {
        const stat = fstatSync(fd);
        if (stat.size !== customisation.size) throw new ShortReadError(customisation.size, stat.size);
        yield* read(fd, stat);
      })(),
    );
  } finally {
    closeSync(fd);
  }
}

/** `size` bytes of a file from `position`, in reused chunks of at most 1 MiB (a blob: no tar padding). */
function* fileBytes(fd: number, size: number, position: number): Generator<Buffer> {
  const buffer = Buffer.allocUnsafe(Math.min(size, 1 << 20));
  for (let done = 0; done < size; ) {
    const got = readSync(fd, buffer, 0, Math.min(buffer.length, size - done), position + done);
    if (got === 0) throw new ShortReadError(size, done);
    done += got;
    yield buffer.subarray(0, got);
  }
}

/**
 * Writes the whole image for `conf` to `sink` (see StreamSink for Node
 * streams), letting the event loop run between chunks of every pass.
 */
export async function writeImage(conf: ImageConf, sink: Sink, options: ImageOptions = {}): Promise<void> {
  const image = await prepareImageAsync(conf, options);
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
