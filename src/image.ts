import { closeSync, fstatSync } from "node:fs";
import { createHash } from "node:crypto";
import { encodeHeader, type TarHeader } from "./tar/header.js";
import { TypeFlag } from "./tar/constants.js";
import { ShortReadError, TarChunker } from "./tar/writer.js";
import { layerChunks, type EntryRecord } from "./layer.js";
import { EntryLog, LayerChangedError } from "./entry-log.js";
import { checkCustomisationLayer, openCustomisationTar } from "./customisation-layer.js";
import type { Writable } from "node:stream";
import { StreamSink, type Sink } from "./sinks.js";
import { sha256Hasher } from "./hash/sha256.js";
import { DEFAULT_PYTHON, profileFor, type PythonVersion } from "./profile.js";
import { ConfError, type ImageConf } from "./conf.js";
import { CannotArchiveError } from "./errors.js";
import { parseCreated, isoformat, timestampSeconds, type MicrosecondClock, type PyDateTime } from "./py/datetime.js";
import { PythonError } from "./py/python-errors.js";
import { dumpsPythonJson } from "./py/json.js";
import { reprList, reprValue } from "./py/repr.js";
import type { PyDict, PyValue } from "./py/value.js";
import { groupName, userName } from "./userdb.js";

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
  /** Test hook: runs after layer `num`'s hash pass, before its stream pass. */
  readonly betweenPasses?: (num: number) => void;
}

export { LayerChangedError };

/** A layer as the manifest and config describe it. */
export interface LayerInfo {
  readonly checksum: string;
  readonly path: string;
  /** The conf's value the history comment shows. */
  readonly paths: PyValue;
}

/** tarfile.TarInfo(name) defaults: 0644, uid/gid 0, empty uname/gname, regular file. */
function plainMember(name: string, size: number | bigint, mtime: bigint): TarHeader {
  return { name, mode: 0o644, uid: 0, gid: 0, size, mtime, type: TypeFlag.regular, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0 };
}

/** Everything knowable before the first byte: `created`, the customisation layer, every store layer's walk. */
/** A store layer after its hash pass: what the stream pass must reproduce. */
interface HashedLayer {
  readonly sha256: string;
  readonly size: number;
  readonly entries: EntryLog;
}

/** The reference's first pass over a layer: digest, size, and each member as seen. */
function hashPass(paths: readonly string[], mtime: bigint, python: PythonVersion, root: string | undefined): HashedLayer {
  const hasher = sha256Hasher();
  const entries = new EntryLog();
  let size = 0;
  for (const chunk of layerChunks(paths, mtime, { root, python, reuseChunks: true, onEntry: (record) => entries.push(record) })) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { sha256: hasher.digest(), size, entries };
}

/**
 * Everything before the first byte: `created`, the customisation layer, and
 * the hash pass of every layer, which walks and reads all of them.  The
 * reference hashes a layer just before streaming it; hashing all of them
 * first gives the same bytes, and makes every bad path, socket or unreadable
 * file an error before anything is written.
 */
function prepare(conf: ImageConf, python: PythonVersion, options: ImageOptions) {
  let created: PyDateTime;
  let mtime: bigint;
  try {
    created = parseCreated(conf.created, python, options.now);
    mtime = timestampSeconds(created);
  } catch (error) {
    if (error instanceof PythonError) throw new ConfError(`"created": ${error.pythonType}: ${error.message}`, { cause: error });
    throw error;
  }
  const customisation = checkCustomisationLayer(conf.customisationLayer, options.root);
  const hashed = conf.storeLayers.map((paths) => hashPass(paths, mtime, python, options.root));
  return { created, mtime, customisation, hashed };
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
export interface PreparedImage {
  /** `int(created.timestamp())`: every member's mtime. */
  readonly mtime: bigint;
  /** The outer tarball's bytes; faults from here on are LayerChangedError or CannotArchiveError. */
  chunks(): Generator<Buffer>;
}

/**
 * Checks everything knowable up front and runs every layer's hash pass
 * (throws ConfError or CannotArchiveError), without writing anything.
 */
export function prepareImage(conf: ImageConf, options: ImageOptions = {}): PreparedImage {
  const python = options.python ?? DEFAULT_PYTHON;
  const prepared = prepare(conf, python, options);
  return { mtime: prepared.mtime, chunks: () => streamImageChunks(conf, options, python, prepared) };
}

function* streamImageChunks(
  conf: ImageConf,
  options: ImageOptions,
  python: PythonVersion,
  { created, mtime, customisation, hashed }: ReturnType<typeof prepare>,
): Generator<Buffer> {
  const { tarFormat } = profileFor(python);
  const log = options.log ?? (() => {});
  const outer = new TarChunker(options.reuseChunks);
  const layers: LayerInfo[] = [];
  const hasher = sha256Hasher();

  // The conf's own values, for repr() in the log and the history comments.
  const rawLayers = conf.raw.get("store_layers") as PyValue[];
  for (const [num, paths] of conf.storeLayers.entries()) {
    log(`Creating layer ${num} from paths: ${reprValue(rawLayers[num]!, python)}`);
    const { sha256, size, entries } = hashed[num]!;
    options.betweenPasses?.(num);

    const path = `${sha256}/layer.tar`;
    yield* outer.bytes(encodeHeader(plainMember(path, size, mtime), tarFormat));

    let streamed = 0;
    const onEntry = (record: EntryRecord): void => entries.check(num, record);
    for (const chunk of layerChunks(paths, mtime, { root: options.root, python, reuseChunks: true, onEntry })) {
      if (streamed + chunk.length > size) throw new LayerChangedError(num, `it grew beyond the ${size} bytes hashed`);
      hasher.update(chunk);
      streamed += chunk.length;
      yield* outer.bytes(chunk);
    }
    entries.checkComplete(num);
    if (streamed !== size) throw new LayerChangedError(num, `${streamed} bytes streamed, ${size} hashed`);
    if (hasher.digest() !== sha256) throw new LayerChangedError(num, "its content differs from the hashed one");
    yield* outer.padToBlock();
    layers.push({ checksum: sha256, path, paths: rawLayers[num]! });
  }

  log("Creating the customisation layer...");
  const { checksum, tarShownAs } = customisation;
  const layerPath = `${checksum}/layer.tar`;
  const fd = openCustomisationTar(customisation);
  try {
    const stat = fstatSync(fd);
    // gettarinfo: mode, ids and names from the file; the script sets name and mtime.
    const header: TarHeader = {
      ...plainMember(layerPath, stat.size, mtime),
      mode: stat.mode,
      uid: stat.uid,
      gid: stat.gid,
      uname: userName(stat.uid),
      gname: groupName(stat.gid),
    };
    yield* outer.bytes(encodeHeader(header, tarFormat));
    yield* outer.fileContent(fd, stat.size);
  } catch (error) {
    if (error instanceof ShortReadError) throw new CannotArchiveError(JSON.stringify(tarShownAs), `file shrank while being read (${error.message})`, { cause: error });
    throw error;
  } finally {
    closeSync(fd);
  }
  layers.push({ checksum, path: layerPath, paths: [conf.customisationLayer] });

  log("Adding manifests...");
  const createdText = isoformat(created);
  const imageJson: PyDict = new Map<string, PyValue>([
    ["created", createdText],
    ["architecture", conf.architecture],
    ["os", "linux"],
    ["config", conf.config],
    [
      "rootfs",
      new Map<string, PyValue>([
        ["diff_ids", layers.map((layer) => `sha256:${layer.checksum}`)],
        ["type", "layers"],
      ]),
    ],
    [
      "history",
      layers.map(
        (layer) =>
          new Map<string, PyValue>([
            ["created", createdText],
            ["comment", `store paths: ${reprList(layer.paths as PyValue[], python)}`],
          ]),
      ),
    ],
  ]);
  const imageJsonBytes = Buffer.from(dumpsPythonJson(imageJson, 4, { profile: python }), "utf8");
  const imageJsonPath = `${createHash("sha256").update(imageJsonBytes).digest("hex")}.json`;
  yield* outer.bytes(encodeHeader(plainMember(imageJsonPath, imageJsonBytes.length, mtime), tarFormat));
  yield* outer.bytes(imageJsonBytes);
  yield* outer.padToBlock();

  const manifest: PyValue = [
    new Map<string, PyValue>([
      ["Config", imageJsonPath],
      ["RepoTags", [conf.repoTag]],
      ["Layers", layers.map((layer) => layer.path)],
    ]),
  ];
  const manifestBytes = Buffer.from(dumpsPythonJson(manifest, 4, { profile: python }), "utf8");
  yield* outer.bytes(encodeHeader(plainMember("manifest.json", manifestBytes.length, mtime), tarFormat));
  yield* outer.bytes(manifestBytes);
  yield* outer.padToBlock();

  log("Done.");
  yield* outer.finish();
}

/** Writes the whole image for `conf` to `sink` (see StreamSink for Node streams). */
export async function writeImage(conf: ImageConf, sink: Sink, options: ImageOptions = {}): Promise<void> {
  for (const chunk of imageChunks(conf, options)) {
    const wait = sink.write(chunk);
    if (wait !== undefined) await wait;
  }
}

/** The library's one-call entry: the image for `conf` written to a Node stream, honouring backpressure. */
export async function streamImage(conf: ImageConf, stream: Writable, options: ImageOptions = {}): Promise<void> {
  await writeImage(conf, new StreamSink(stream), options);
}
