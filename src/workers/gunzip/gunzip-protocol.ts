/** Shared state between gunzip.ts and its worker: one Int32 the main thread can wait on. */
export const STATE = 0;
export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;
export const STATE_BYTES = 4;

/** Node's zlib default chunk (16 KiB) costs half again as long as 1 MiB chunks on a 1 GB archive. */
export const CHUNK_BYTES = 1 << 20;
