import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { encodeHeader, type TarHeader } from "./tar/header.js";
import { TypeFlag } from "./tar/constants.js";
import { ShortReadError, TarChunker } from "./tar/writer.js";
import { checkLayer, layerChunks, type EntryRecord } from "./layer.js";
import { comparePaths } from "./walk.js";
import type { Writable } from "node:stream";
import { StreamSink, type Sink } from "./sinks.js";
import { sha256Hasher } from "./hash/sha256.js";
import { DEFAULT_PYTHON, profileFor, type PythonVersion } from "./profile.js";
import { ConfError, type ImageConf } from "./conf.js";
import { CannotArchiveError, displayPath } from "./errors.js";
import { parseCreated, isoformat, timestampSeconds, type MicrosecondClock, type PyDateTime } from "./py/datetime.js";
import { PythonError } from "./py/python-errors.js";
import { dumpsPythonJson } from "./py/json.js";
import { reprList, reprValue } from "./py/repr.js";
import { pyStrip } from "./py/strip.js";
import { fsEncode, strFacts } from "./py/fsname.js";
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
  /** Test hook: runs after layer `num`'s hash pass, before its stream pass. */
  readonly betweenPasses?: (num: number) => void;
}

/** A layer as the manifest and config describe it. */
export interface LayerInfo {
  readonly checksum: string;
  readonly path: string;
  /** The conf's value the history comment shows. */
  readonly paths: PyValue;
}

/** The layer's bytes changed between the hash pass and the stream pass. */
export class LayerChangedError extends Error {
  constructor(
    readonly layer: number,
    message: string,
  ) {
    super(`Layer ${layer} changed between the hash pass and the stream pass: ${message}`);
    this.name = "LayerChangedError";
  }
}

/** tarfile.TarInfo(name) defaults: 0644, uid/gid 0, empty uname/gname, regular file. */
function plainMember(name: string, size: number | bigint, mtime: bigint): TarHeader {
  return { name, mode: 0o644, uid: 0, gid: 0, size, mtime, type: TypeFlag.regular, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0 };
}

/** The file behind a conf path (a Python str: lone surrogates are raw bytes), below the root if any. */
function fsPathOf(path: string, root: string | undefined): Buffer {
  const bytes = fsEncode(path);
  if (root === undefined) return bytes;
  return Buffer.concat([Buffer.from(root.replace(/\/+$/, "")), Buffer.from(path.startsWith("/") ? "" : "/"), bytes]);
}

/** `open(checksum_path).read().strip()`, asserted to be 64 characters. */
function readCustomisationChecksum(file: Buffer, shownAs: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(readFileSync(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CannotArchiveError(JSON.stringify(shownAs), code === undefined ? "not valid UTF-8 text" : `reading failed (${code})`, { cause: error });
  }
  // Text mode translates \r\n and \r to \n before strip().
  const checksum = pyStrip(text.replace(/\r\n?/g, "\n"));
  if (strFacts(checksum).length !== 64) throw new CannotArchiveError(JSON.stringify(shownAs), `Invalid sha256: expected 64 characters, found ${strFacts(checksum).length}`);
  return checksum;
}

/**
 * The hash pass, member by member, so the stream pass can name what changed.
 * Compact enough for a million members: names are stored as the length
 * shared with the previous name plus the rest (walk order shares long
 * prefixes), sizes and CRCs in typed arrays.
 */
class EntryLog {
  private sizes = new Float64Array(1024);
  private ctimes = new Float64Array(1024);
  private inodes = new Float64Array(1024);
  private crcs = new Uint32Array(1024);
  private names = Buffer.allocUnsafe(64 * 1024);
  private namesUsed = 0;
  private lastName = "";
  length = 0;
  /** The stream pass's position: next record to compare and its name. */
  private cursor = 0;
  private cursorOffset = 0;
  private cursorName = "";

  push(record: EntryRecord): void {
    if (this.length === this.sizes.length) {
      this.sizes = grow(this.sizes, new Float64Array(this.length * 2));
      this.ctimes = grow(this.ctimes, new Float64Array(this.length * 2));
      this.inodes = grow(this.inodes, new Float64Array(this.length * 2));
      this.crcs = grow(this.crcs, new Uint32Array(this.length * 2));
    }
    this.sizes[this.length] = record.size;
    this.crcs[this.length] = record.crc;
    this.ctimes[this.length] = record.ctimeMs;
    this.inodes[this.length] = record.inode;
    let shared = 0;
    const limit = Math.min(record.name.length, this.lastName.length);
    while (shared < limit && record.name.charCodeAt(shared) === this.lastName.charCodeAt(shared)) shared++;
    const rest = record.name.slice(shared);
    const needed = 8 + rest.length * 3;
    if (this.namesUsed + needed > this.names.length) this.names = grow(this.names, Buffer.allocUnsafe(Math.max(this.names.length * 2, this.namesUsed + needed)));
    this.names.writeUInt32LE(shared, this.namesUsed);
    // UTF-16 code units as they are: lone surrogates survive the round trip.
    const restBytes = this.names.write(rest, this.namesUsed + 8, "utf16le");
    this.names.writeUInt32LE(restBytes, this.namesUsed + 4);
    this.namesUsed += 8 + restBytes;
    this.lastName = record.name;
    this.length++;
  }

  /** The name of the next record the stream pass has not matched yet. */
  private expectedName(): string {
    const shared = this.names.readUInt32LE(this.cursorOffset);
    const restBytes = this.names.readUInt32LE(this.cursorOffset + 4);
    return this.cursorName.slice(0, shared) + this.names.toString("utf16le", this.cursorOffset + 8, this.cursorOffset + 8 + restBytes);
  }

  private advance(): void {
    this.cursorName = this.expectedName();
    this.cursorOffset += 8 + this.names.readUInt32LE(this.cursorOffset + 4);
    this.cursor++;
  }

  /** Throws when the stream pass's next member differs from the hash pass's. */
  check(layer: number, record: EntryRecord): void {
    if (this.cursor >= this.length) throw new LayerChangedError(layer, `${displayPath(record.name)} appeared after the hash pass`);
    const expected = this.expectedName();
    if (expected !== record.name) {
      const removed = comparePaths(record.name, expected) > 0;
      throw new LayerChangedError(layer, removed ? `${displayPath(expected)} was removed after the hash pass` : `${displayPath(record.name)} appeared after the hash pass`);
    }
    const where = displayPath(record.name);
    if (this.sizes[this.cursor] !== record.size) {
      throw new LayerChangedError(layer, `${where} changed size from ${this.sizes[this.cursor]} to ${record.size} bytes`);
    }
    const i = this.cursor;
    if (this.crcs[i] !== record.crc >>> 0 || this.ctimes[i] !== record.ctimeMs || this.inodes[i] !== record.inode) {
      throw new LayerChangedError(layer, `${where} changed (content or metadata)`);
    }
    this.advance();
  }

  /** Throws when members the hash pass saw never came in the stream pass. */
  checkComplete(layer: number): void {
    if (this.cursor < this.length) throw new LayerChangedError(layer, `${displayPath(this.expectedName())} was removed after the hash pass`);
  }
}

function grow<T extends Float64Array | Uint32Array | Buffer>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The customisation layer's files, checked before the first byte. */
interface CustomisationLayer {
  readonly checksum: string;
  readonly tarPath: Buffer;
  readonly tarShownAs: string;
}

function checkCustomisationLayer(customisation: string, root: string | undefined): CustomisationLayer {
  const checksum = readCustomisationChecksum(fsPathOf(`${customisation}/checksum`, root), `${customisation}/checksum`);
  const tarShownAs = `${customisation}/layer.tar`;
  const tarPath = fsPathOf(tarShownAs, root);
  let fd: number;
  try {
    fd = openSync(tarPath, "r");
  } catch (error) {
    throw CannotArchiveError.fromFsError(tarShownAs, "open", error);
  }
  try {
    // Deliberately stricter than gettarinfo, which would store a symlink or
    // a directory as such: a layer must be the tarball's bytes.
    if (!fstatSync(fd).isFile()) throw new CannotArchiveError(JSON.stringify(tarShownAs), "the customisation layer must be a regular file");
  } finally {
    closeSync(fd);
  }
  return { checksum, tarPath, tarShownAs };
}

/** Everything knowable before the first byte: `created`, the customisation layer, every store layer's walk. */
function prepare(conf: ImageConf, python: PythonVersion, options: ImageOptions): { created: PyDateTime; mtime: bigint; customisation: CustomisationLayer } {
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
  const checked = new Set<string>();
  for (const paths of conf.storeLayers) {
    const unchecked = paths.filter((path) => !checked.has(path));
    checkLayer(unchecked, mtime, { root: options.root, python });
    for (const path of unchecked) checked.add(path);
  }
  return { created, mtime, customisation };
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

/** Checks everything knowable up front (throws ConfError or CannotArchiveError), without writing. */
export function prepareImage(conf: ImageConf, options: ImageOptions = {}): PreparedImage {
  const python = options.python ?? DEFAULT_PYTHON;
  const prepared = prepare(conf, python, options);
  return { mtime: prepared.mtime, chunks: () => streamImageChunks(conf, options, python, prepared) };
}

function* streamImageChunks(
  conf: ImageConf,
  options: ImageOptions,
  python: PythonVersion,
  { created, mtime, customisation }: ReturnType<typeof prepare>,
): Generator<Buffer> {
  const { tarFormat } = profileFor(python);
  const log = options.log ?? (() => {});
  const outer = new TarChunker();
  const layers: LayerInfo[] = [];

  // The conf's own values, for repr() in the log and the history comments.
  const rawLayers = conf.raw.get("store_layers") as PyValue[];
  for (const [num, paths] of conf.storeLayers.entries()) {
    log(`Creating layer ${num} from paths: ${reprValue(rawLayers[num]!, python)}`);
    const hasher = sha256Hasher();
    const hashed = new EntryLog();
    let size = 0;
    for (const chunk of layerChunks(paths, mtime, { root: options.root, python, reuseChunks: true, onEntry: (record) => hashed.push(record) })) {
      hasher.update(chunk);
      size += chunk.length;
    }
    const sha256 = hasher.digest();
    options.betweenPasses?.(num);

    const path = `${sha256}/layer.tar`;
    yield* outer.bytes(encodeHeader(plainMember(path, size, mtime), tarFormat));

    let streamed = 0;
    const onEntry = (record: EntryRecord): void => hashed.check(num, record);
    for (const chunk of layerChunks(paths, mtime, { root: options.root, python, reuseChunks: true, onEntry })) {
      if (streamed + chunk.length > size) throw new LayerChangedError(num, `it grew beyond the ${size} bytes hashed`);
      hasher.update(chunk);
      streamed += chunk.length;
      yield* outer.bytes(chunk);
    }
    hashed.checkComplete(num);
    if (streamed !== size) throw new LayerChangedError(num, `${streamed} bytes streamed, ${size} hashed`);
    if (hasher.digest() !== sha256) throw new LayerChangedError(num, "its content differs from the hashed one");
    yield* outer.padToBlock();
    layers.push({ checksum: sha256, path, paths: rawLayers[num]! });
  }

  log("Creating the customisation layer...");
  const { checksum, tarPath, tarShownAs } = customisation;
  const layerPath = `${checksum}/layer.tar`;
  let fd: number;
  try {
    fd = openSync(tarPath, "r");
  } catch (error) {
    throw CannotArchiveError.fromFsError(tarShownAs, "open", error);
  }
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
