/**
 * A layer whose digest came from the digest cache (src/passes/digest-cache.ts) is
 * only checked when its bytes are read: by the stream pass (members, size,
 * CRC-32 against the entry) and by whoever computes the sha256 of what was
 * sent (the registry, or the OCI layout writer).  When either disagrees,
 * the entry is dropped and the failure names the layer's store paths.
 */
import { LayerChangedError } from "../passes/entry-log.ts";
import type { PreparedImage } from "../image/types.ts";
import { StaleDigestCacheError } from "./errors.ts";

/**
 * The error to report for `error`, met while sending cached layer `index`
 * (`digestDisagrees`: the sha256 of the bytes sent was not the entry's);
 * undefined when the layer is not cached or the error says nothing of it.
 */
export function staleCacheEntry(image: PreparedImage, index: number, error: unknown, digestDisagrees: boolean): StaleDigestCacheError | undefined {
  if (!image.cachedLayers.has(index) || !(digestDisagrees || error instanceof LayerChangedError)) return undefined;
  image.forgetCachedDigest(index);
  const layer = image.layers[index]!;
  const paths = layer.storePaths.map((path) => JSON.stringify(String(path))).join(", ");
  return new StaleDigestCacheError(
    `Layer ${index + 1}/${image.layers.length} (store paths ${paths}): its digest cache entry (sha256:${layer.sha256}, ${layer.size} bytes) does not match the store: ${(error as Error).message}; the entry was dropped, the next run hashes the layer`,
    { cause: error },
  );
}
