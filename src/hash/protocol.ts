/**
 * Shared memory between RingSha256 and its worker: a control block of Int32
 * cells, the digest, then SLOTS chunk buffers the main thread fills in turn
 * and the worker hashes in place (no copy, no message per chunk).
 */
export const SLOTS = 4;
export const SLOT_BYTES = 1 << 20;

/** Chunks committed by the main thread (ever increasing). */
export const HEAD = 0;
/** Chunks the worker has finished with (ever increasing). */
export const TAIL = 1;
/** Set by the worker when the digest asked for is in place. */
export const RESULT_READY = 2;
/** Per slot: bytes committed, or DIGEST_REQUEST. */
export const LENGTHS = 4;
export const DIGEST_REQUEST = -1;

export const DIGEST_OFFSET = (LENGTHS + SLOTS) * 4;
export const SLOTS_OFFSET = 64;
export const SHARED_BYTES = SLOTS_OFFSET + SLOTS * SLOT_BYTES;
