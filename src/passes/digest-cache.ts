/**
 * The digest cache: each store layer's sha256, size and CRC-32 kept across
 * runs (one small JSON file per layer), so that publishing an unchanged
 * image skips the hash passes, which read every byte of the store.
 *
 * Why a cached digest can be used:
 * - the key is everything the layer's bytes depend on besides the files:
 *   the CPython whose tarfile is reproduced (tar format, rglob behaviour),
 *   the script generation's layer style (owner uid/gid/uname/gname, the
 *   /nix modes, symlinked store paths), mtime, the --root, the layer's
 *   store paths in order, and this program's version;
 * - the files: Nix store paths are immutable, but the entry is not trusted
 *   on that alone.  Beside it the cache keeps the layer's walk as the hash
 *   pass found it (`<key>.walk`, a WalkedList: every entry's name, mode,
 *   size, ctime and inode), and a use lstats each of those entries again
 *   (no directory listed, no file opened) and compares (listed-check.ts):
 *   any write to a file moves its ctime, which user space cannot set back,
 *   and an entry coming or going moves its directory's, so a changed store
 *   is a cache miss, hashed again.  The layer is then streamed from that
 *   walk.  A walk file that is gone or not the one its entry names makes
 *   the entry no entry: the layer is hashed, both written again;
 * - the key also names the user reading (uid and groups): what one may list
 *   and open another may not, and the walk is what the reader can reach;
 * - what remains possible is still checked whenever the layer's bytes are
 *   read: the image stream (the CLI, streamImage, writeImage, verify)
 *   computes the sha256 of a cached layer as it streams it and compares it
 *   and the size with the entry at the layer's end (CachedDigestMismatchError
 *   before the outer tarball's end: never a complete image with a wrong
 *   digest); an upload compares the size and CRC-32, and the registry (or
 *   the OCI layout writer) computes the sha256 of what it received.  A
 *   mismatch fails the run and drops the entry (publish/push.ts,
 *   image/stream.ts).  Only what never reads the bytes trusts the entry
 *   alone: `digest`, and verify/diff at the config level.
 * A file that cannot be read or parsed, or whose own check does not match,
 * is ignored; entries are written through a temporary file and a rename.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { LayerChangedError } from "./entry-log.ts";
import type { HashedLayer } from "./hash-passes.ts";
import { WalkedList } from "../store/walked-list.ts";
import type { LayerStyle } from "../layer/layer-walk.ts";
import type { Pause } from "../workers/pause.ts";
import { unchangedSince } from "./listed-check.ts";
import type { PythonVersion } from "../profile/python.ts";
import { VERSION } from "../version.ts";

const FORMAT = "stream-layered-image digest cache 5";

/** `$XDG_CACHE_HOME/stream-layered-image/digests`, else `~/.cache/stream-layered-image/digests` (the XDG base directory rules). */
export function defaultDigestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(env["HOME"] || homedir(), ".cache");
  return join(base, "stream-layered-image", "digests");
}

/**
 * A store layer whose digest came from the cache streamed other bytes than
 * its entry records (sha256, CRC-32 or size): the entry was stale, and the
 * stream dropped it before throwing.  A LayerChangedError, so whoever stops
 * on a store changing between the passes (the CLI: truncated output, exit 1)
 * stops on this too.
 */
export class CachedDigestMismatchError extends LayerChangedError {
  readonly paths: readonly string[];
  constructor(layer: number, paths: readonly string[], detail: string) {
    super(layer, detail);
    const shown = paths.map((path) => JSON.stringify(path)).join(", ");
    this.message = `Layer ${layer} (store paths ${shown}) does not match its digest cache entry: ${detail}; the entry was dropped, the next run hashes the layer`;
    this.paths = paths;
    this.name = "CachedDigestMismatchError";
  }
}

/** What a cache entry knows of a layer. */
export interface CachedDigest {
  readonly sha256: string;
  readonly size: number;
  readonly crc32: number;
  /** sha256 of the layer's walk as the hash pass found it: the file `<key>.walk` (WalkedList.encode). */
  readonly walk: string;
}

/** Everything a store layer's bytes depend on, besides the files under its paths. */
export interface LayerKeyParts {
  readonly python: PythonVersion;
  readonly style: LayerStyle;
  readonly mtime: bigint;
  readonly root: string | undefined;
  readonly paths: readonly string[];
}

const bigintAsText = (_key: string, value: unknown): unknown => (typeof value === "bigint" ? value.toString() : value);

export function layerCacheKey(parts: LayerKeyParts): string {
  const material = [FORMAT, VERSION, parts.python, parts.style, parts.mtime, parts.root === undefined ? null : resolve(parts.root), parts.paths, reader()];
  return createHash("sha256").update(JSON.stringify(material, bigintAsText)).digest("hex");
}

/** Who reads the store: what an unreadable directory or file does to a walk depends on it. */
function reader(): string {
  return `${process.geteuid?.() ?? ""}:${process.getegid?.() ?? ""}:${[...new Set(process.getgroups?.() ?? [])].sort((a, b) => a - b).join(",")}`;
}

/** The entry's own check: a file cut short or changed by hand is not one. */
function entryCheck(key: string, value: CachedDigest): string {
  return createHash("sha256").update(JSON.stringify([FORMAT, key, value.sha256, value.size, value.crc32, value.walk])).digest("hex");
}

const HEX64 = /^[0-9a-f]{64}$/;

function isCachedDigest(value: unknown): value is CachedDigest {
  const entry = value as Partial<Record<keyof CachedDigest, unknown>> | null;
  return (
    typeof entry === "object" &&
    entry !== null &&
    typeof entry.sha256 === "string" &&
    HEX64.test(entry.sha256) &&
    Number.isSafeInteger(entry.size) &&
    (entry.size as number) >= 0 &&
    Number.isInteger(entry.crc32) &&
    (entry.crc32 as number) >= 0 &&
    (entry.crc32 as number) < 2 ** 32 &&
    typeof entry.walk === "string" &&
    HEX64.test(entry.walk)
  );
}

/** One directory of entries, `<key>.json` each and its walk `<key>.walk`.  Reading and writing never throw: a cache that fails is no cache. */
export class DigestCache {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private file(key: string, extension = "json"): string {
    return join(this.dir, `${key}.${extension}`);
  }

  /** The entry for `key`, or undefined when there is none or it is unreadable, corrupt or for another key. */
  read(key: string): CachedDigest | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file(key), "utf8"));
    } catch {
      return undefined;
    }
    const entry = parsed as { format?: unknown; key?: unknown; check?: unknown };
    if (!isCachedDigest(parsed) || entry.format !== FORMAT || entry.key !== key || entry.check !== entryCheck(key, parsed)) return undefined;
    return { sha256: parsed.sha256, size: parsed.size, crc32: parsed.crc32, walk: parsed.walk };
  }

  /** The walk kept for `key`'s entry, or undefined when it is missing or not the one the entry names. */
  readWalk(key: string, entry: CachedDigest): WalkedList | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file(key, "walk"));
    } catch {
      return undefined;
    }
    if (createHash("sha256").update(bytes).digest("hex") !== entry.walk) return undefined;
    return WalkedList.decode(bytes);
  }

  /**
   * Records a layer's digests under `key` with its walk: the walk first,
   * then the entry naming its sha256, each through a temporary file and a
   * rename, so a reader sees a whole entry or none.
   */
  write(key: string, digests: Omit<CachedDigest, "walk">, paths: readonly string[], walk: WalkedList): void {
    const bytes = walk.encode();
    if (this.writeFile(this.file(key, "walk"), bytes)) this.writeEntry(key, { ...digests, walk: createHash("sha256").update(bytes).digest("hex") }, paths);
  }

  /** Records `entry` under `key` as it is (its walk file already written). */
  writeEntry(key: string, entry: CachedDigest, paths: readonly string[]): void {
    this.writeFile(this.file(key), `${JSON.stringify({ format: FORMAT, key, ...entry, check: entryCheck(key, entry), paths })}\n`);
  }

  /** `data` written to `target` through a temporary file and a rename; false when that failed. */
  private writeFile(target: string, data: string | Buffer): boolean {
    const temporary = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(temporary, data, { mode: 0o600 });
      renameSync(temporary, target);
      return true;
    } catch {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Its directory is not one (ENOTDIR): there is no temporary file.
      }
      return false;
    }
  }

  drop(key: string): void {
    for (const file of [this.file(key), this.file(key, "walk")]) {
      try {
        rmSync(file, { force: true });
      } catch {
        // Unremovable: its next use fails the same way, and is dropped again.
      }
    }
  }
}

/** One image's use of the cache: which store layers it gave, what the hash passes add to it. */
export class ImageDigestCache {
  private readonly cache: DigestCache;
  private readonly layers: readonly (readonly string[])[];
  private readonly parts: Omit<LayerKeyParts, "paths">;
  /** Store layer numbers whose digest came from the cache. */
  readonly reused = new Set<number>();
  private readonly keys: string[];
  /** What check() found of each layer: from the cache, or undefined (hash it). */
  private readonly checked = new Map<number, HashedLayer | undefined>();

  constructor(cache: DigestCache, layers: readonly (readonly string[])[], parts: Omit<LayerKeyParts, "paths">) {
    this.cache = cache;
    this.layers = layers;
    this.parts = parts;
    this.keys = layers.map((paths) => layerCacheKey({ ...parts, paths }));
  }

  /**
   * Checks, before known() is asked, each layer that has an entry and its
   * walk: every entry of that walk lstat'ed again and compared
   * (listed-check.ts).  A walk file that is gone or not the entry's: a miss.
   */
  *check(): Generator<Pause, void> {
    const { python, root } = this.parts;
    for (const [num, key] of this.keys.entries()) {
      const entry = this.cache.read(key);
      const walk = entry === undefined ? undefined : this.cache.readWalk(key, entry);
      this.checked.set(num, entry !== undefined && walk !== undefined && (yield* unchangedSince(walk, python, root)) ? this.hit(num, entry, walk) : undefined);
    }
  }

  /**
   * Store layer `num` from the cache, when its entry and walk are there and
   * the store paths' entries are still the ones hashed (no file opened),
   * with the entries to stream it from; else undefined, and the layer is
   * hashed (whose errors are then the hash pass's: a missing path, an
   * unreadable directory).
   */
  known(num: number): HashedLayer | undefined {
    return this.checked.get(num);
  }

  /** Layer `num` from its entry, streamed from `walked`. */
  private hit(num: number, entry: CachedDigest, walked: WalkedList): HashedLayer {
    this.reused.add(num);
    return { sha256: entry.sha256, size: entry.size, crc32: entry.crc32, entries: undefined, walked };
  }

  /** Records the layers the hash passes computed. */
  remember(hashed: readonly HashedLayer[]): void {
    for (const [num, layer] of hashed.entries()) {
      // A layer hashed without its walk kept (hashPassSteps' recordWalks off) has nothing to record.
      if (this.reused.has(num) || layer.record === undefined) continue;
      this.cache.write(this.keys[num]!, { sha256: layer.sha256, size: layer.size, crc32: layer.crc32 }, this.layers[num]!, layer.record);
    }
  }

  /** Drops store layer `num`'s entry: the upload found it stale. */
  forget(num: number): void {
    if (!this.reused.has(num)) return;
    this.cache.drop(this.keys[num]!);
    this.reused.delete(num);
  }
}
