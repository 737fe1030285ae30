/**
 * The formats and levels of `--compress` / `--compress-level` (skopeo's
 * --dest-compress-format / --dest-compress-level), their validation, the
 * fixed block sizes that make the bytes independent of the worker count,
 * and compressorBuild: the name of everything that decides the bytes.
 */
import * as zlib from "node:zlib";
import { CompressOptionError, CompressUnsupportedError } from "./errors.ts";

export type CompressFormat = "none" | "gzip" | "zstd";
export const COMPRESS_FORMATS: readonly CompressFormat[] = ["none", "gzip", "zstd"];

/**
 * Defaults when no level is given: the levels skopeo and podman use.
 * gzip 5: podman documents 5 (containers.conf's compression_level), and
 * skopeo's containers/image asks pgzip for DefaultCompression, which
 * klauspost/compress maps to its level 5 (zlib's own default is 6).  zstd
 * 3: zstd's default, and what klauspost's SpeedDefault (containers/image's
 * default) stands for.
 */
export const DEFAULT_LEVEL: Readonly<Record<Exclude<CompressFormat, "none">, number>> = { gzip: 5, zstd: 3 };

/** skopeo documents gzip 1-9 and zstd 1-20; zstd itself goes to 22 (--ultra). */
const LEVEL_RANGE: Readonly<Record<Exclude<CompressFormat, "none">, readonly [number, number]>> = { gzip: [1, 9], zstd: [1, 22] };

/**
 * gzip: pgzip's scheme (klauspost's, skopeo's and podman's parallel gzip).
 * 1 MiB blocks (its default), each deflated against the previous block's
 * last 32 KiB (deflate's whole window), so the ratio stays within 0.1% of
 * one stream; zlib's output for a block depends only on the block, the
 * dictionary and the level.  Not pigz's 128 KiB: loading the dictionary
 * costs a quarter of a 128 KiB block's work (zlib hashes those 32 KiB
 * again) and a thirty-second of a 1 MiB one (measured with Node 24 at
 * level 5 on 200 MB of the bench's closure: 80-85 against 96-103 MB/s a
 * core, 0.01% larger).
 */
export const GZIP_BLOCK_BYTES = 1 << 20;
export const GZIP_DICTIONARY_BYTES = 32 << 10;
/**
 * zstd: independent frames of 4 MiB (a decoder reads consecutive frames as
 * one stream).  Measured on a 64 MiB tar of Python and Perl trees at level 3:
 * 1 MiB frames cost 2% against one frame, 4 MiB 0.2%, 16 MiB 0.0%; 4 MiB
 * keeps 2 × workers blocks in flight under 40 MB.
 */
export const ZSTD_BLOCK_BYTES = 4 << 20;
/** Bumped whenever the way blocks are cut, framed or parameterised changes: the blob cache keys on it. */
export const SCHEME_VERSION = 2;

/** The level to use: the default when none is given; CompressOptionError when out of range or not an integer. */
export function resolveLevel(format: CompressFormat, level: number | undefined): number {
  if (format === "none") return 0;
  if (level === undefined) return DEFAULT_LEVEL[format];
  const [low, high] = LEVEL_RANGE[format];
  if (!Number.isInteger(level) || level < low || level > high) {
    throw new CompressOptionError(`${format} compression level must be an integer from ${low} to ${high}, not ${level}`);
  }
  return level;
}

/** The zlib functions compression needs (a stand-in in tests). */
export interface ZlibLike {
  readonly zstdCompressSync?: unknown;
}

/** CompressUnsupportedError when this Node's zlib cannot write `format`. */
export function assertSupported(format: CompressFormat, lib: ZlibLike = zlib, nodeVersion: string = process.version): void {
  if (format === "zstd" && typeof lib.zstdCompressSync !== "function") {
    throw new CompressUnsupportedError(`zstd compression needs Node 22.15 or later (node:zlib has no zstd in Node ${nodeVersion})`);
  }
}
