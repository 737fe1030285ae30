/**
 * Shared memory between RingHasher and its worker: a control block of Int32
 * cells, the results, then SLOTS chunk buffers the main thread fills in turn
 * and the worker digests in place (no copy, no message per chunk).
 */
/** Eight 1 MiB slots smooth the walk's bursts (many small files, then a big one) enough to keep both threads busy; four left each idle by turns. */
export const SLOTS = 8;
export const SLOT_BYTES = 1 << 20;

/** Chunks committed by the main thread (ever increasing). */
export const HEAD = 0;
/** Chunks the worker has finished with (ever increasing). */
export const TAIL = 1;
/** Set by the worker when the results asked for are in place. */
export const RESULT_READY = 2;
/** Which digests (LayerDigests) the chunks until the next FINISH_REQUEST get: one of the three below. */
export const MODE = 3;
export const SHA256_AND_CRC = 1;
export const CRC_ONLY = 0;
export const SHA256_ONLY = 2;
/** Set by the worker when its loop threw (the message follows on its port), or when it exits. */
export const FAILED = 4;
/** Per slot: bytes committed, or FINISH_REQUEST. */
export const LENGTHS = 5;
export const FINISH_REQUEST = -1;
/** The CRC-32 result (as an Int32 cell), then the sha256 bytes. */
export const CRC_RESULT = LENGTHS + SLOTS;
export const DIGEST_OFFSET = (CRC_RESULT + 1) * 4;
export const SLOTS_OFFSET = 128;
export const SHARED_BYTES = SLOTS_OFFSET + SLOTS * SLOT_BYTES;
