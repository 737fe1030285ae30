/**
 * The image stage's public types: what a caller passes (ImageOptions), what
 * a manifest lists (ImageLayer, ImageDescription), and what prepareImage
 * gives back (PreparedImage), plus the tests' fault injection hooks.
 */
import type { DigestCache } from "../passes/digest-cache.ts";
import type { ProgressEvent } from "../passes/progress-event.ts";
import type { PythonVersion } from "../profile/python.ts";
import type { MicrosecondClock } from "../py/datetime/datetime.ts";
import type { PyValue } from "../py/value.ts";

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
   * Take store layers' digests from this cache when their store paths'
   * metadata are unchanged since the entry (no hash pass), and record the
   * ones hashed (see src/passes/digest-cache.ts); false: hash every layer,
   * read and write no cache.  When absent: streamImage and writeImage use
   * the default directory's (defaultDigestCacheDir()), since they read
   * every byte and check a cached layer's sha256 as it streams; prepareImage,
   * prepareImageAsync and imageChunks use none, since their description
   * (digests, manifest) is there before any byte is read: whoever uses it
   * alone trusts the entry, and says so by passing a cache.
   */
  readonly digestCache?: DigestCache | false | undefined;
}

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
   * came from the digest cache, not a hash pass: their bytes were not read
   * yet.  chunks() checks their sha256 as it streams them; layerChunks()
   * their size and CRC-32, leaving the sha256 to the reader (an upload).
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
