/**
 * The shapes of `diff IMAGE-A IMAGE-B`: what the engine reads (DiffSide,
 * DiffLayer: any transport can build them, so the engine depends on none),
 * what it is asked to ignore (DiffOptions) and what it finds (ImageDiff),
 * which the text and JSON reports print.
 */

/** One image as the diff reads it. */
export interface DiffSide {
  /** As the user wrote it (a path, a reference, a conf). */
  readonly name: string;
  /** The config JSON blob, as stored. */
  readonly configBytes: Buffer;
  /** In manifest order. */
  readonly layers: readonly DiffLayer[];
}

export interface DiffLayer {
  /** `sha256:…` from the config's rootfs.diff_ids, when known: equal ones are not opened. */
  readonly diffId: string | undefined;
  /** How the report names it, e.g. `layer 2 (blobs/sha256/ab…)`. */
  readonly label: string;
  /** The layer's uncompressed tar bytes, streamed (called at most once). */
  open(): AsyncIterable<Buffer | Uint8Array>;
}

/**
 * What is not a difference.  `--semantic` is all three.  Owners are the
 * members' uid, gid, uname and gname only: the config's `User` says who
 * runs the entrypoint, which changes what the image does, so it stays a
 * difference (it is not a file's owner).
 */
export interface DiffOptions {
  /** Members' mtime and PAX mtime/atime/ctime; the config's `created` and `history[*].created`. */
  readonly ignoreTimestamps?: boolean;
  /** Members' uid, gid, uname, gname (and their PAX records). */
  readonly ignoreOwners?: boolean;
  /** The config's `history` (whole). */
  readonly ignoreHistory?: boolean;
}

/** A JSON value shown as compact JSON text (lossless: big ints, key order). */
export type JsonText = string;

export interface ConfigDifference {
  /** `config.Env[1]`, `created`, `history[2].created`, `rootfs.diff_ids[1]`. */
  readonly path: string;
  readonly kind: "changed" | "added" | "removed";
  /** A's value (absent when added). */
  readonly a: JsonText | undefined;
  /** B's value (absent when removed). */
  readonly b: JsonText | undefined;
  /**
   * Set for `rootfs.diff_ids[i]`: the diff_id of layer i, whose difference
   * the layer comparison accounts for (it is not counted twice).
   */
  readonly layer: number | undefined;
}

/** A value of a member field: numbers as numbers while exact, else decimal text. */
export type FieldValue = string | number | null;

/** A member as the diff compares it (small: kept while waiting for its partner). */
export interface MemberSummary {
  /** As written (PAX path or the name field), decoded as tarfile does. */
  readonly name: string;
  /** The pairing key: the name without a leading "/" or "./" and trailing "/". */
  readonly key: string;
  /** `file`, `dir`, `symlink`, `hardlink`, `char`, `block`, `fifo`, or `type "X"`. */
  readonly type: string;
  readonly fields: ReadonlyMap<string, FieldValue>;
}

/** A member on both sides with the fields that differ ([A, B] for each). */
export interface MemberChange {
  readonly name: string;
  readonly fields: ReadonlyMap<string, readonly [FieldValue, FieldValue]>;
}

export type LayerStatus =
  /** The bytes are identical: by the configs' diff_ids (then not opened) or by the hashes of the bytes read. */
  | "same"
  /** No member differs under the options, yet the bytes do (ignored fields, member order, header encoding, padding). */
  | "equivalent"
  | "differs"
  /** Only in A (B has fewer layers) or only in B. */
  | "removed"
  | "added";

export interface LayerDiff {
  /** A's index, or B's for a layer only B has (how the report names it). */
  readonly index: number;
  /** The layer's index in A and in B (layer-alignment.ts: an added layer shifts the rest). */
  readonly indexes?: readonly [number | undefined, number | undefined];
  readonly status: LayerStatus;
  /** Read (false when equal diff_ids made it unnecessary). */
  readonly opened: boolean;
  /** A's and B's labels (undefined for the side without this layer). */
  readonly labels: readonly [string | undefined, string | undefined];
  /** The sha256 of each side's bytes as read (or the config's diff_id when not opened). */
  readonly diffIds: readonly [string | undefined, string | undefined];
  readonly changed: readonly MemberChange[];
  /** Members only in B. */
  readonly added: readonly MemberSummary[];
  /** Members only in A. */
  readonly removed: readonly MemberSummary[];
  /** Members read on each side. */
  readonly members: readonly [number, number];
  /** Most members held at once waiting for a partner (0 when both sides list the same names in the same order). */
  readonly peakPending: number;
  /** Facts that are not differences: a config diff_id the bytes do not hash to. */
  readonly notes: readonly string[];
}

export interface ImageDiff {
  readonly names: readonly [string, string];
  readonly options: DiffOptions;
  readonly same: boolean;
  readonly config: readonly ConfigDifference[];
  readonly layerCounts: readonly [number, number];
  readonly layers: readonly LayerDiff[];
}
