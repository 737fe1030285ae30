/**
 * Which compression a publish uses (`--compress`, `--compress-level`: the
 * meaning of skopeo's --dest-compress-format / --dest-compress-level), the
 * default, and the combinations a manifest format cannot name, refused
 * before anything is read or sent.
 */
import type { ManifestFormat } from "../oci/manifest.ts";
import { writtenLayerType } from "../oci/media-types.ts";
import type { Compression } from "../passes/blob-cache.ts";
import { assertSupported, DEFAULT_LEVEL, resolveLevel } from "../workers/compress/format.ts";
import { CompressionChoiceError } from "./errors.ts";

/**
 * gzip at level 5, the level skopeo and podman use by default (see
 * DEFAULT_LEVEL).  They compress with klauspost's pgzip, another deflate
 * than zlib's, so no level reproduces their bytes: the number means what
 * their --dest-compress-level means, and zlib's 5 came within a few per cent
 * of their size (docs/benchmarks.md).
 */
export const DEFAULT_COMPRESSION: Compression = { format: "gzip", level: DEFAULT_LEVEL.gzip };

/** The compression resolved (level filled in), or CompressionChoiceError / CompressOptionError / CompressUnsupportedError, one line each. */
export function checkCompression(format: ManifestFormat, compression: Compression = DEFAULT_COMPRESSION): Required<Compression> {
  if (compression.format === "none" && compression.level !== undefined) throw new CompressionChoiceError(`--compress-level ${compression.level} means nothing with --compress none`);
  const level = resolveLevel(compression.format, compression.level);
  if (writtenLayerType(format, compression.format) === undefined) {
    const why = compression.format === "none" ? "Docker schema 2 layers are gzip-compressed tars (use --format oci for uncompressed layers)" : "Docker schema 2 has no zstd layer type (use --format oci)";
    throw new CompressionChoiceError(`--format docker cannot take --compress ${compression.format}: ${why}`);
  }
  assertSupported(compression.format);
  return { format: compression.format, level };
}

/** "gzip level 5", "zstd level 3", "uncompressed". */
export function describeCompression(compression: Compression): string {
  return compression.format === "none" ? "uncompressed" : `${compression.format} level ${resolveLevel(compression.format, compression.level)}`;
}
