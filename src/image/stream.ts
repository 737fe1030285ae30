/**
 * The stream pass: the outer tarball the reference's `main()` writes, as
 * chunks: the base image's layers, each store layer streamed again and
 * checked against its hash pass, the customisation layer, the config JSON
 * and manifest.json, with the reference's stderr lines between them.
 */
import { encodeHeader, type TarHeader } from "../tar/header.ts";
import { TypeFlag } from "../tar/constants.ts";
import { TarChunker } from "../tar/writer.ts";
import { generationRules } from "../profile/generation.ts";
import { profileFor, type TarFormat } from "../profile/python.ts";
import { groupName, userName } from "../store/userdb.ts";
import { layerChunks, type EntryRecord } from "../layer/layer.ts";
import { acquireLayerHasher, releaseLayerHasher } from "../workers/hash/layer-hasher.ts";
import { YIELD, type Pause } from "../workers/pause.ts";
import { LayerChangedError } from "../passes/entry-log.ts";
import { CachedDigestMismatchError } from "../passes/digest-cache.ts";
import type { BaseImage } from "../base-image/base-image.ts";
import { layerText } from "./describe.ts";
import type { ImageRun, Prepared } from "./prepare.ts";
import { customisationTarBytes, namingShortRead } from "./reads.ts";
import type { ImageDescription } from "./types.ts";

type Log = (line: string) => void;

/** tarfile.TarInfo(name) defaults: 0644, uid/gid 0, empty uname/gname, regular file. */
function plainMember(name: string, size: number | bigint, mtime: bigint): TarHeader {
  return { name, mode: 0o644, uid: 0, gid: 0, size, mtime, type: TypeFlag.regular, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0 };
}

/** The whole outer tarball, in the reference's order, with its stderr lines. */
export function* streamImageItems(run: ImageRun): Generator<Buffer | Pause, void> {
  const { conf, options, python, prepared } = run;
  const { base } = prepared;
  const rules = generationRules(conf.generation);
  const { tarFormat } = profileFor(python);
  const log = options.log ?? (() => {});
  const outer = new TarChunker(options.reuseChunks);

  const baseCount = base?.layers.length ?? 0;
  if (base === undefined) {
    if (rules.noBaseImageLine !== undefined) log(rules.noBaseImageLine);
  } else yield* baseLayerChunks(base, outer, tarFormat, log);
  yield* storeLayerMembers(run, outer, tarFormat, log, rules.firstStoreLayerNumber(baseCount));

  log(rules.customisationLine(baseCount + prepared.hashed.length));
  yield* customisationMember(prepared, outer, tarFormat);

  log("Adding manifests...");
  yield* manifestMembers(prepared.description, outer, tarFormat);

  log("Done.");
  yield* outer.finish();
}

/**
 * `add_base_layers`: each base layer's member header as tarfile read it,
 * written again, then the bytes extractfile gives (none for a link or a
 * directory), then the line.
 */
function* baseLayerChunks(base: BaseImage, outer: TarChunker, tarFormat: TarFormat, log: Log): Generator<Buffer> {
  for (const [num, layer] of base.layers.entries()) {
    yield* outer.bytes(encodeHeader(layer.header, tarFormat));
    yield* namingShortRead(JSON.stringify(base.file), "the base image changed while being read", outer.fileContent(base.fd, layer.copySize, layer.dataOffset));
    log(`Adding base layer ${num + 1} from ${layer.path}`);
  }
}

/** Each store layer as a member of the outer tarball: its line, its header, its stream pass, the progress events. */
function* storeLayerMembers(run: ImageRun, outer: TarChunker, tarFormat: TarFormat, log: Log, firstNumber: number): Generator<Buffer | Pause, void> {
  const { conf, options, python, prepared, hooks } = run;
  const { description, hashed } = prepared;
  const { mtime } = description;
  const layers = hashed.length;
  const imageBytesTotal = hashed.reduce((total, layer) => total + layer.size, 0);
  let imageBytesDone = 0;
  const baseCount = prepared.base?.layers.length ?? 0;
  for (const [num, paths] of conf.storeLayers.entries()) {
    log(`Creating layer ${num + firstNumber} from paths: ${layerText(conf, num, python)}`);
    const { size } = hashed[num]!;
    hooks.betweenPasses?.(num);

    yield* outer.bytes(encodeHeader(plainMember(description.layers[baseCount + num]!.path, size, mtime), tarFormat));
    // A consumer done with each chunk before the next (the CLI) takes the
    // layer's chunks as they are: copying a gigabyte into the outer chunks
    // cost a tenth of a warm stream.
    const passOn = options.reuseChunks === true;
    if (passOn) yield* outer.flush();

    let streamed = 0;
    for (const item of checkedAgainstCache(run, num, storeLayerItems(run, num, paths, prepared.cache?.reused.has(num) === true))) {
      if (!Buffer.isBuffer(item)) {
        yield item;
        continue;
      }
      streamed += item.length;
      imageBytesDone += item.length;
      yield* passOn ? outer.passOn(item) : outer.bytes(item);
      options.progress?.({ phase: "streaming", layer: num, layers, layerBytesDone: streamed, layerBytesTotal: size, imageBytesDone, imageBytesTotal });
    }
    yield* outer.padToBlock();
  }
}

/**
 * A store layer's stream pass, its digest cache entry dropped when the layer
 * came from the cache and failed a check: the store is not what the entry
 * says, or no longer what the walk saw (then the entry would miss next time
 * anyway, and dropping it costs one hash pass).
 */
function* checkedAgainstCache({ prepared }: ImageRun, num: number, items: Generator<Buffer | Pause, void>): Generator<Buffer | Pause, void> {
  try {
    yield* items;
  } catch (error) {
    if (error instanceof LayerChangedError) prepared.cache?.forget(num);
    throw error;
  }
}

/** The customisation layer's member: gettarinfo of its layer.tar (mode, ids and names from the file; the script sets name and mtime), then its bytes. */
function* customisationMember(prepared: Prepared, outer: TarChunker, tarFormat: TarFormat): Generator<Buffer> {
  const { description, customisation } = prepared;
  const index = (prepared.base?.layers.length ?? 0) + prepared.hashed.length;
  yield* customisationTarBytes(customisation, function* (fd, stat) {
    const header: TarHeader = {
      ...plainMember(description.layers[index]!.path, stat.size, description.mtime),
      mode: stat.mode,
      uid: stat.uid,
      gid: stat.gid,
      uname: userName(stat.uid),
      gname: groupName(stat.gid),
    };
    yield* outer.bytes(encodeHeader(header, tarFormat));
    yield* outer.fileContent(fd, stat.size);
  });
}

/** The config JSON (`<image id>.json`) and manifest.json. */
function* manifestMembers(description: ImageDescription, outer: TarChunker, tarFormat: TarFormat): Generator<Buffer> {
  const { mtime } = description;
  yield* outer.bytes(encodeHeader(plainMember(description.configName, description.configBytes.length, mtime), tarFormat));
  yield* outer.bytes(description.configBytes);
  yield* outer.padToBlock();
  yield* outer.bytes(encodeHeader(plainMember("manifest.json", description.manifestBytes.length, mtime), tarFormat));
  yield* outer.bytes(description.manifestBytes);
  yield* outer.padToBlock();
}

/**
 * One store layer's stream pass: its tarball bytes, each member compared with
 * the hash pass's entry log and the whole layer's CRC-32 with the hash pass's,
 * so a store change between the passes fails naming the path.  A layer whose
 * digest came from the digest cache is streamed from the entries the cache's
 * check walked (no walk again) and, in the image stream (`cached`), its
 * sha256 is computed instead of the CRC-32 and, with its size, must be the
 * entry's, or CachedDigestMismatchError ends the stream before the next
 * member; an upload (not `cached`) checks the entry's CRC-32.  (A
 * layer's blob alone leaves the sha256 to its reader: the registry or the
 * OCI layout writer computes it anyway.)
 */
export function* storeLayerItems({ options, python, prepared, hooks }: ImageRun, num: number, paths: readonly string[], cached = false): Generator<Buffer | Pause, void> {
  const { sha256, crc32, size, entries, walked } = prepared.hashed[num]!;
  const { mtime } = prepared.description;
  const changed = (hashPass: string, entry: string) => (cached ? new CachedDigestMismatchError(num, paths, entry) : new LayerChangedError(num, hashPass));
  // A layer may be streamed again (a retried upload): compare from its first member.
  entries?.rewind();
  let streamed = 0;
  const onEntry = entries === undefined ? undefined : (record: EntryRecord): void => entries.check(num, record);
  // The other core checks the very buffers copied to the output: a CRC-32
  // of the whole layer, ten times cheaper than a second sha256, catches any
  // accidental change (a deliberate collision needs write access to the
  // store, which could change a file before the hash pass just as well).
  // A cached layer was never hashed: its sha256 is computed now, once, and
  // alone (equal to the entry's, the bytes are the entry's: a CRC-32 would
  // add nothing but the other core's time, which the output waits for).
  const hasher = acquireLayerHasher();
  // Empty files were opened in the hash pass; one made unreadable since
  // changed its mode or ctime, which the entry check reports.
  const layer = layerChunks(paths, mtime, { root: options.root, python, style: prepared.style, reuseChunks: true, onEntry, walked, nextBuffer: () => hasher.nextBuffer(), openEmptyFiles: false });
  try {
    yield* hasher.begin(cached ? "sha256" : "crc32");
    for (;;) {
      // The walk asks for a buffer in this step: make sure one is free.
      yield* hasher.room();
      const next = layer.next();
      if (next.done) break;
      const chunk = hooks.streamedChunk?.(num, next.value) ?? next.value;
      if (streamed + chunk.length > size) throw changed(`it grew beyond the ${size} bytes hashed`, `more than its ${size} bytes streamed`);
      hasher.update(chunk);
      streamed += chunk.length;
      yield chunk;
      yield YIELD;
    }
    entries?.checkComplete(num);
    if (streamed !== size) throw changed(`${streamed} bytes streamed, ${size} hashed`, `${streamed} bytes streamed, ${size} recorded`);
    const got = yield* hasher.finish();
    if (cached && got.sha256 !== sha256) throw changed("", `sha256:${got.sha256} streamed, sha256:${sha256} recorded`);
    if (!cached && got.crc32 !== crc32) throw changed("its content differs from the hashed one", `CRC-32 ${got.crc32} streamed, ${crc32} recorded`);
  } finally {
    // Also when the consumer stops early (for-of break, verify's first difference).
    layer.return(undefined);
    releaseLayerHasher(hasher);
  }
}
