/**
 * Which compression a publish uses (`--compress`, `--compress-level`: the
 * meaning of skopeo's --dest-compress-format / --dest-compress-level), the
 * default, and the combinations a manifest format cannot name, refused
 * before anything is read or sent.
 */
import type { ManifestFormat } from "../oci/manifest.ts";
import { writtenLayerType } from "../oci/media-types.ts";
import type { Compression } from "../passes/blob-cache.ts";
import { assertSupported, resolveLevel } from "../workers/compress/format.ts";
import { CompressionChoiceError } from "./errors.ts";

/**
 * gzip at zlib's level 6 (zlib's and the gzip CLI's default).  skopeo and
 * podman (containers/image) compress with klauspost's pgzip at its default,
 * which podman documents as "5": level 5 of klauspost's own scale, another
 * algorithm than zlib's 5, so no zlib level reproduces their bytes; 6 is the
 * level zlib users expect, within a few per cent of their size.
 */
export const DEFAULT_COMPRESSION: Compression = { format: "gzip", level: 6 };

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

/** "gzip level 6", "zstd level 3", "uncompressed". */
export function describeCompression(compression: Compression): string {
  return compression.format === "none" ? "uncompressed" : `${compression.format} level ${resolveLevel(compression.format, compression.level)}`;
}
