/**
 * What a layer hasher does (LayerHasher): digests of a layer's stream of
 * chunks, which the caller writes into buffers the hasher lends
 * (`nextBuffer`).  Each layer gets the digests asked for (LayerDigests): the
 * hash pass needs the sha256 (the layer's name and diff_id) and the CRC-32;
 * the stream pass only has to show it produced the same bytes, which the
 * CRC-32 does at ten times the speed; a layer from the digest cache was
 * never hashed, and its stream pass computes the sha256 alone.  InThreadHasher computes them on the walking
 * thread; RingHasher (ring-hasher.ts) on a worker.
 */
import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import type { Pause } from "../pause.ts";
import { SLOT_BYTES } from "./protocol.ts";

/** What begin() asks for: both digests (the hash pass), the CRC-32 alone (a stream pass), the sha256 alone (a cached layer's stream pass). */
export type LayerDigests = "sha256+crc32" | "crc32" | "sha256";

/** One layer's bytes as a LayerHasher digests them. */
export interface LayerHash {
  /** Hex sha256, when begin() asked for it. */
  readonly sha256: string | undefined;
  /** CRC-32 of the same bytes (unsigned), when begin() asked for it. */
  readonly crc32: number | undefined;
}

export interface LayerHasher {
  /** Starts a new stream of chunks (dropping any unfinished one); run before the first nextBuffer() of a layer. */
  begin(digests: LayerDigests): Generator<Pause, void>;
  /** Pauses until nextBuffer() can lend a buffer without waiting. */
  room(): Generator<Pause, void>;
  /** A buffer of SLOT_BYTES to fill; valid until it is passed to update(). */
  nextBuffer(): Buffer;
  /** Digests the first bytes of the buffer last lent (`chunk` must be a view of its start). */
  update(chunk: Buffer): void;
  /** The digests of everything since begin(). */
  finish(): Generator<Pause, LayerHash>;
  /** Whether another chunk can be handed over without waiting for the worker (for choosing between passes). */
  hasRoom(): boolean;
}

export class InThreadHasher implements LayerHasher {
  private hash: Hash | undefined;
  private crc: number | undefined = 0;
  private readonly buffer = Buffer.allocUnsafe(SLOT_BYTES);

  *begin(digests: LayerDigests): Generator<Pause, void> {
    this.hash = digests === "crc32" ? undefined : createHash("sha256");
    this.crc = digests === "sha256" ? undefined : 0;
  }

  *room(): Generator<Pause, void> {}

  nextBuffer(): Buffer {
    return this.buffer;
  }

  hasRoom(): boolean {
    return true;
  }

  update(chunk: Buffer): void {
    if (this.crc !== undefined) this.crc = crc32(chunk, this.crc);
    this.hash?.update(chunk);
  }

  *finish(): Generator<Pause, LayerHash> {
    return { sha256: this.hash?.digest("hex"), crc32: this.crc === undefined ? undefined : this.crc >>> 0 };
  }
}
