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
 *   on that alone.  It records the print of the layer's walk (every entry's
 *   name, mode, size, ctime and inode, see WalkPrint), and a use walks the
 *   store paths again, metadata only (no file is opened), and compares: any
 *   write to a file moves its ctime, which user space cannot set back, so a
 *   changed store is a cache miss, hashed again.  The entries of that walk
 *   are the ones the layer is then streamed from (no second walk);
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
import { WalkPrint } from "../store/walk-print.ts";
import { WalkedList } from "../store/walked-list.ts";
import type { LayerStyle, WalkPart } from "../layer/layer-walk.ts";
import { CannotArchiveError } from "../store/errors.ts";
import { LayerWalker } from "../workers/walk/layer-walker.ts";
import { walkPart, type PartWalk } from "../workers/walk/part-walk.ts";
import type { Pause } from "../workers/pause.ts";
import type { PythonVersion } from "../profile/python.ts";
import { VERSION } from "../version.ts";

const FORMAT = "stream-layered-image digest cache 3";

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
  /** WalkPrint.digest() of the hash pass: the store as it was hashed. */
  readonly walk: string;
  /**
   * The name of the walk's middle entry (entry ⌊count/2⌋): where a check
   * may split a large layer's walk between two threads.  None for a layer of
   * fewer than two entries.
   */
  readonly cut?: string | undefined;
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
  const material = [FORMAT, VERSION, parts.python, parts.style, parts.mtime, parts.root === undefined ? null : resolve(parts.root), parts.paths];
  return createHash("sha256").update(JSON.stringify(material, bigintAsText)).digest("hex");
}

/** The entry's own check: a file cut short or changed by hand is not one. */
function entryCheck(key: string, value: CachedDigest): string {
  return createHash("sha256").update(JSON.stringify([FORMAT, key, value.sha256, value.size, value.crc32, value.walk, value.cut ?? null])).digest("hex");
}

const HEX64 = /^[0-9a-f]{64}$/;
const PRINT = /^[0-9a-f]{16}-\d+$/;

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
    PRINT.test(entry.walk) &&
    (entry.cut === undefined || typeof entry.cut === "string")
  );
}

/** One directory of entries, `<key>.json` each.  Reading and writing never throw: a cache that fails is no cache. */
export class DigestCache {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private file(key: string): string {
    return join(this.dir, `${key}.json`);
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
    return { sha256: parsed.sha256, size: parsed.size, crc32: parsed.crc32, walk: parsed.walk, ...(parsed.cut === undefined ? {} : { cut: parsed.cut }) };
  }

  /** Records `value` under `key`: a temporary file renamed into place, so a reader sees a whole entry or none. */
  write(key: string, value: CachedDigest, paths: readonly string[]): void {
    const target = this.file(key);
    const temporary = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(temporary, `${JSON.stringify({ format: FORMAT, key, ...value, check: entryCheck(key, value), paths })}\n`, { mode: 0o600 });
      renameSync(temporary, target);
    } catch {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Its directory is not one (ENOTDIR): there is no temporary file.
      }
    }
  }

  drop(key: string): void {
    try {
      rmSync(this.file(key), { force: true });
    } catch {
      // Unremovable: its next use fails the same way, and is dropped again.
    }
  }
}

/**
 * Below this many entries for the other thread, starting it (~30 ms) would
 * cost more than it saves; SLI_WALK_THREAD_ENTRIES sets another (the tests
 * use 0, to check small stores on two threads).
 */
function entriesForAThread(): number {
  const given = process.env["SLI_WALK_THREAD_ENTRIES"];
  return given !== undefined && /^\d{1,9}$/.test(given) ? Number(given) : 4096;
}

/**
 * About the entries this thread checks while the walk worker starts (~40 ms
 * to load its modules, measured with Node 24 on the bench machine, where a
 * cold walk takes ~8 µs an entry): the worker's late start, in the dealing.
 */
const WORKER_START_ENTRIES = 4096;

/** How many entries an entry's print says the layer had (WalkPrint.digest ends with the count). */
function entriesOf(entry: CachedDigest): number {
  return Number(entry.walk.slice(entry.walk.indexOf("-") + 1));
}

/** One walk of check(): a cached layer whole, or one of its two parts; `order` is the walk order (layer, then part). */
interface CheckUnit {
  readonly num: number;
  readonly part: WalkPart | undefined;
  readonly entries: number;
  readonly order: number;
}

/**
 * The walks of check(), largest first: a layer with a cut that holds more
 * than an eighth of all the entries to check is walked in two parts (so one
 * layer of most of the image, the usual warm start, is shared), the others
 * whole.
 */
function checkUnits(cached: readonly { readonly num: number; readonly entry: CachedDigest }[]): CheckUnit[] {
  const total = cached.reduce((sum, { entry }) => sum + entriesOf(entry), 0);
  const units: CheckUnit[] = [];
  for (const { num, entry } of cached) {
    const count = entriesOf(entry);
    if (entry.cut !== undefined && count * 8 > total) {
      const before = Math.floor(count / 2);
      units.push({ num, part: { until: entry.cut }, entries: before, order: 2 * num }, { num, part: { from: entry.cut }, entries: count - before, order: 2 * num + 1 });
    } else units.push({ num, part: undefined, entries: count, order: 2 * num });
  }
  return units.sort((a, b) => b.entries - a.entries);
}

/** One image's use of the cache: which store layers it gave, what the hash passes add to it. */
export class ImageDigestCache {
  private readonly cache: DigestCache;
  private readonly layers: readonly (readonly string[])[];
  private readonly parts: Omit<LayerKeyParts, "paths">;
  /** Store layer numbers whose digest came from the cache. */
  readonly reused = new Set<number>();
  private readonly keys: string[];
  /** What check() found of the layers it checked (a layer it could not: known() walks it). */
  private readonly checked = new Map<number, HashedLayer | undefined>();
  /** Each layer's entry as read (check() and known() both ask). */
  private readonly entries = new Map<number, CachedDigest | undefined>();

  constructor(cache: DigestCache, layers: readonly (readonly string[])[], parts: Omit<LayerKeyParts, "paths">) {
    this.cache = cache;
    this.layers = layers;
    this.parts = parts;
    this.keys = layers.map((paths) => layerCacheKey({ ...parts, paths }));
  }

  /**
   * Checks the layers that have an entry before known() is asked, on two
   * threads: the walks (a large layer's in two parts, split at the entry its
   * cache entry names) are dealt, largest first (by the entries their print
   * counted), to whichever thread has fewer entries to walk, and the other
   * thread's come back as LayerWalker walked them.  A warm start then waits
   * for about half of the walks instead of all of them.  A layer whose walk
   * fails here is left to known(), which walks it again in the hash passes'
   * order, so the error reported is the first failing layer's, as without
   * the cache.
   */
  *check(): Generator<Pause, void> {
    const entries = this.keys.map((_, num) => this.entry(num));
    const cached = [...entries.keys()].filter((num) => entries[num] !== undefined);
    const units = checkUnits(cached.map((num) => ({ num, entry: entries[num]! })));
    const here: CheckUnit[] = [];
    const there: CheckUnit[] = [];
    let hereEntries = 0;
    // The other thread starts late (it loads its modules first): dealt as if that many entries in already.
    let thereEntries = WORKER_START_ENTRIES;
    for (const unit of units) {
      if (hereEntries <= thereEntries) {
        here.push(unit);
        hereEntries += unit.entries;
      } else {
        there.push(unit);
        thereEntries += unit.entries;
      }
    }
    if (there.length === 0 || thereEntries - WORKER_START_ENTRIES < entriesForAThread()) return;
    const { root, python, style } = this.parts;
    const walks = new Map<CheckUnit, PartWalk>();
    const walker = new LayerWalker();
    try {
      for (const [id, unit] of there.entries()) walker.walk({ id, paths: this.layers[unit.num]!, root, python, style, part: unit.part });
      for (const unit of here.sort((a, b) => a.order - b.order)) {
        try {
          walks.set(unit, yield* walkPart(this.layers[unit.num]!, unit.part, { root, python, style }));
        } catch (error) {
          if (!(error instanceof CannotArchiveError)) throw error;
        }
      }
      for (const [id, walked] of yield* walker.results()) walks.set(there[id]!, walked);
    } finally {
      walker.close();
    }
    for (const num of cached) {
      const parts = units.filter((unit) => unit.num === num).sort((a, b) => a.order - b.order).map((unit) => walks.get(unit));
      // A part that failed: known() walks the layer whole, for the error's own words.
      if (parts.some((part) => part === undefined)) continue;
      this.checked.set(num, this.compare(num, entries[num]!, parts as PartWalk[]));
    }
  }

  /**
   * Store layer `num` from the cache, when its entry is there and the store
   * paths' entries are still the ones hashed (walked again, no file opened),
   * with the entries of that walk to stream it from; else undefined, and the
   * layer is hashed.  What check() found, or a walk here, whose errors are
   * the hash pass's (a missing path, an unreadable directory).
   */
  *known(num: number): Generator<Pause, HashedLayer | undefined> {
    if (this.checked.has(num)) return this.checked.get(num);
    const entry = this.entry(num);
    if (entry === undefined) return undefined;
    return yield* this.walkCheck(num, entry);
  }

  /** Layer `num`'s entry, read once. */
  private entry(num: number): CachedDigest | undefined {
    if (!this.entries.has(num)) this.entries.set(num, this.cache.read(this.keys[num]!));
    return this.entries.get(num);
  }

  /** Layer `num` walked here and compared with its entry. */
  private *walkCheck(num: number, entry: CachedDigest): Generator<Pause, HashedLayer | undefined> {
    const { root, python, style } = this.parts;
    return this.compare(num, entry, [yield* walkPart(this.layers[num]!, undefined, { root, python, style })]);
  }

  /** The layer from its entry when its walk, in `parts` in order, has the entry's print; else undefined (hash it: the store changed). */
  private compare(num: number, entry: CachedDigest, parts: readonly PartWalk[]): HashedLayer | undefined {
    if (parts.some((part) => !part.found)) return undefined;
    const [first, ...rest] = parts;
    if (rest.length === 0) return first!.walk === entry.walk ? this.hit(num, entry, first!.list) : undefined;
    const print = new WalkPrint();
    for (const part of parts) print.addDigest(part.walk);
    if (print.digest() !== entry.walk) return undefined;
    for (const part of rest) first!.list.append(part.list);
    return this.hit(num, entry, first!.list);
  }

  /** Layer `num` from its entry, streamed from `walked`. */
  private hit(num: number, entry: CachedDigest, walked: WalkedList): HashedLayer {
    this.reused.add(num);
    return { sha256: entry.sha256, size: entry.size, crc32: entry.crc32, walk: entry.walk, entries: undefined, walked };
  }

  /** Records the layers the hash passes computed. */
  remember(hashed: readonly HashedLayer[]): void {
    for (const [num, layer] of hashed.entries()) {
      // A layer hashed without its print (hashPassSteps' walkPrints off) has nothing to record.
      if (this.reused.has(num) || layer.walk === undefined) continue;
      const cut = layer.entries !== undefined && layer.entries.length >= 2 ? layer.entries.nameAt(Math.floor(layer.entries.length / 2)) : undefined;
      const entry = { sha256: layer.sha256, size: layer.size, crc32: layer.crc32, walk: layer.walk, ...(cut === undefined ? {} : { cut }) };
      this.cache.write(this.keys[num]!, entry, this.layers[num]!);
      this.entries.set(num, entry);
    }
  }

  /** Drops store layer `num`'s entry: the upload found it stale. */
  forget(num: number): void {
    if (!this.reused.has(num)) return;
    this.cache.drop(this.keys[num]!);
    this.entries.delete(num);
    this.reused.delete(num);
  }
}
