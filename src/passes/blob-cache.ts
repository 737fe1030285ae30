/**
 * The blob cache: for a layer's uncompressed bytes (its diff_id) and a way
 * of compressing them, the digest and size of the compressed blob, kept
 * across runs beside the digest cache (one small JSON file per entry), so
 * that a second push asks the registry for the compressed blob by digest
 * and, when it has it, neither reads nor compresses the layer.
 *
 * Why an entry can be used: the compressed bytes are a function of the
 * uncompressed bytes (named by the diff_id) and the compressor: the format,
 * the level and compressorBuild (block scheme, zlib/zstd build, and a probe
 * of the codec's actual output), all in the key.  An entry is still not
 * trusted blindly: its own check (a sha256 over key and values) must match,
 * or it is ignored; its digest is only used to ask the registry, which says
 * whether it holds such a blob; and a layer compressed again whose digest
 * differs drops the entry (the caller says so).  Entries are written through
 * a temporary file and a rename; the same robustness rules as digest-cache.ts:
 * reading and writing never throw, a cache that fails is no cache.
 *
 * The in-memory map makes one run's compressed digests known to its later
 * pushes (push CONF REF1 REF2 mounts REF2's layers from REF1) also when no
 * directory is kept (--no-digest-cache).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { defaultDigestCacheDir } from "./digest-cache.ts";
import { compressorBuild } from "../workers/compress/build-id.ts";
import { resolveLevel, type CompressFormat } from "../workers/compress/format.ts";

const FORMAT = "stream-layered-image blob cache 1";

/** `$XDG_CACHE_HOME/stream-layered-image/blobs` (else `~/.cache/…`): the digest cache's sibling. */
export function defaultBlobCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(defaultDigestCacheDir(env)), "blobs");
}

/** How a layer is compressed: the format, and its level (the format's default when absent). */
export interface Compression {
  readonly format: CompressFormat;
  readonly level?: number | undefined;
}

/** A compressed blob: its `sha256:` digest and size in bytes. */
export interface CompressedBlob {
  readonly digest: string;
  readonly size: number;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The key of (diff_id, compression): the file name of its entry. */
export function blobCacheKey(diffId: string, compression: Compression): string {
  const level = resolveLevel(compression.format, compression.level);
  const material = [FORMAT, diffId, compression.format, level, compressorBuild(compression.format, level)];
  return createHash("sha256").update(JSON.stringify(material)).digest("hex");
}

function entryCheck(key: string, blob: CompressedBlob): string {
  return createHash("sha256").update(JSON.stringify([FORMAT, key, blob.digest, blob.size])).digest("hex");
}

function isBlob(value: unknown): value is CompressedBlob {
  const entry = value as Partial<Record<keyof CompressedBlob, unknown>> | null;
  return typeof entry === "object" && entry !== null && typeof entry.digest === "string" && DIGEST.test(entry.digest) && Number.isSafeInteger(entry.size) && (entry.size as number) > 0;
}

/** One directory of entries, `<key>.json` each (or none: memory only). */
export class BlobCache {
  /** undefined: nothing read from or written to disk. */
  readonly dir: string | undefined;
  private readonly known = new Map<string, CompressedBlob>();

  constructor(dir: string | undefined) {
    this.dir = dir;
  }

  private file(key: string): string | undefined {
    return this.dir === undefined ? undefined : join(this.dir, `${key}.json`);
  }

  /** The blob layer `diffId` compresses to, or undefined when unknown (no entry, or one unreadable, corrupt or for another key). */
  read(diffId: string, compression: Compression): CompressedBlob | undefined {
    const key = blobCacheKey(diffId, compression);
    const remembered = this.known.get(key);
    const file = this.file(key);
    if (remembered !== undefined || file === undefined) return remembered;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
    const entry = parsed as { format?: unknown; key?: unknown; check?: unknown };
    if (!isBlob(parsed) || entry.format !== FORMAT || entry.key !== key || entry.check !== entryCheck(key, parsed)) return undefined;
    return { digest: parsed.digest, size: parsed.size };
  }

  /** Records what `diffId` compressed to: a temporary file renamed into place (a reader sees a whole entry or none). */
  write(diffId: string, compression: Compression, blob: CompressedBlob): void {
    const key = blobCacheKey(diffId, compression);
    this.known.set(key, { digest: blob.digest, size: blob.size });
    const target = this.file(key);
    if (target === undefined) return;
    const temporary = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const level = resolveLevel(compression.format, compression.level);
    const record = { format: FORMAT, key, digest: blob.digest, size: blob.size, check: entryCheck(key, blob), diffId, compression: compression.format, level, build: compressorBuild(compression.format, level) };
    try {
      mkdirSync(this.dir!, { recursive: true, mode: 0o700 });
      writeFileSync(temporary, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      renameSync(temporary, target);
    } catch {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Its directory is not one (ENOTDIR): there is no temporary file.
      }
    }
  }

  /** Drops the entry: the layer compressed to another blob than it said. */
  drop(diffId: string, compression: Compression): void {
    const key = blobCacheKey(diffId, compression);
    this.known.delete(key);
    const file = this.file(key);
    if (file === undefined) return;
    try {
      rmSync(file, { force: true });
    } catch {
      // Unremovable: its next use is found wrong the same way, and dropped again.
    }
  }
}
