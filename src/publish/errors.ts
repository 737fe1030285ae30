/**
 * Publishing's own failures (the registry's are remote/errors.ts), each one
 * line naming the layout directory or the cache entry.
 */

/**
 * A layer whose digest came from the digest cache was not what the entry
 * said: the registry computed another digest, or the stream pass another
 * size or CRC-32.  The entry is dropped; the next push hashes the layer.
 */
export class StaleDigestCacheError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StaleDigestCacheError";
  }
}

/** The OCI layout directory cannot be written. */
export class LayoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LayoutError";
  }
}

/**
 * A layer's uncompressed bytes are not its diff_id (a digest cache entry or
 * a customisation layer's checksum that does not match): found while
 * compressing, before the blob is committed or named by a manifest.
 */
export class DiffIdMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DiffIdMismatchError";
  }
}

/** --compress / --compress-level that the manifest format cannot name (Docker schema 2 has gzip layers only). */
export class CompressionChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompressionChoiceError";
  }
}
