import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { encodeHeader, type TarHeader } from "./tar/header.js";
import { TypeFlag } from "./tar/constants.js";
import { TarChunker } from "./tar/writer.js";
import { layerChunks } from "./layer.js";
import type { Writable } from "node:stream";
import { Sha256Sink, StreamSink, type Sink } from "./sinks.js";
import { DEFAULT_PYTHON, profileFor, type PythonVersion } from "./profile.js";
import type { ImageConf } from "./conf.js";
import { CannotArchiveError } from "./errors.js";
import { parseCreated, isoformat, timestampSeconds, type MicrosecondClock } from "./py/datetime.js";
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
 * The reference's `main()` after reading the conf, as chunks of the outer
 * tarball: each store layer hashed then streamed, the customisation layer,
 * the config JSON and manifest.json.
 */
export function* imageChunks(conf: ImageConf, options: ImageOptions = {}): Generator<Buffer> {
  const python = options.python ?? DEFAULT_PYTHON;
  const { tarFormat } = profileFor(python);
  const log = options.log ?? (() => {});
  const created = parseCreated(conf.created, python, options.now);
  const mtime = timestampSeconds(created);
  const outer = new TarChunker();
  const layers: LayerInfo[] = [];

  // The conf's own values, for repr() in the log and the history comments.
  const rawLayers = conf.raw.get("store_layers") as PyValue[];
  for (const [num, paths] of conf.storeLayers.entries()) {
    log(`Creating layer ${num} from paths: ${reprValue(rawLayers[num]!, python)}`);
    const hash = new Sha256Sink();
    for (const chunk of layerChunks(paths, mtime, { root: options.root, python })) hash.write(chunk);
    const { sha256, size } = hash.extract();
    const path = `${sha256}/layer.tar`;
    yield* outer.bytes(encodeHeader(plainMember(path, size, mtime), tarFormat));
    const again = createHash("sha256");
    let streamed = 0;
    for (const chunk of layerChunks(paths, mtime, { root: options.root, python })) {
      if (streamed + chunk.length > size) throw new LayerChangedError(num, `it grew beyond the ${size} bytes hashed`);
      again.update(chunk);
      streamed += chunk.length;
      yield* outer.bytes(chunk);
    }
    if (streamed !== size) throw new LayerChangedError(num, `${streamed} bytes streamed, ${size} hashed`);
    if (again.digest("hex") !== sha256) throw new LayerChangedError(num, "its content differs from the hashed one");
    yield* outer.padToBlock();
    layers.push({ checksum: sha256, path, paths: rawLayers[num]! });
  }

  log("Creating the customisation layer...");
  const customisation = conf.customisationLayer;
  const checksum = readCustomisationChecksum(fsPathOf(`${customisation}/checksum`, options.root), `${customisation}/checksum`);
  const layerPath = `${checksum}/layer.tar`;
  const tarShownAs = `${customisation}/layer.tar`;
  let fd: number;
  try {
    fd = openSync(fsPathOf(tarShownAs, options.root), "r");
  } catch (error) {
    throw CannotArchiveError.fromFsError(tarShownAs, "open", error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CannotArchiveError(JSON.stringify(tarShownAs), "the customisation layer must be a regular file");
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
  } finally {
    closeSync(fd);
  }
  layers.push({ checksum, path: layerPath, paths: [customisation] });

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
