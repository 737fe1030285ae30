/**
 * Where a run is: `layer` of `layers` (store layers only), bytes of that
 * layer so far.  Two layers are hashed at a time: while hashing, `layer` is
 * the lowest one not done yet.
 */
export interface ProgressEvent {
  readonly phase: "hashing" | "streaming" | "uploading";
  readonly layer: number;
  readonly layers: number;
  readonly layerBytesDone: number;
  /** The layer's tarball size: known once it has been hashed (undefined while hashing). */
  readonly layerBytesTotal: number | undefined;
  /** Bytes of all store layers hashed, or streamed, so far in this phase. */
  readonly imageBytesDone: number;
  /** Bytes of all store layers (streaming only; 0 while hashing: not known yet). */
  readonly imageBytesTotal: number;
}
