/** Shared-memory layout between WorkerSha256 and its worker (Int32 slots, then the digest). */
export const IN_FLIGHT = 0;
export const RESULT_READY = 1;
export const DIGEST_OFFSET = 8;
export const SHARED_BYTES = DIGEST_OFFSET + 32;

export type HashRequest = { type: "chunk"; data: Uint8Array } | { type: "digest" };
