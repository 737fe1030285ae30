/**
 * A file's bytes, or a range of them (a member of a tar archive), read a
 * chunk at a time when asked for: the one way the layout and archive
 * transports stream a blob, so memory stays at one chunk whatever its size.
 */
import type { FileHandle } from "node:fs/promises";

const CHUNK = 1 << 16;

/**
 * The bytes of `handle` from `start` to `end` (its end when undefined),
 * each chunk told to `onBytes`; a read error becomes `fail(error)`.  The
 * file ending early ends the chunks: the caller, who knows the size it
 * expects, says so.
 */
export async function* fileChunks(handle: FileHandle, start: number, end: number | undefined, onBytes: (bytes: number) => void, fail: (error: unknown) => Error): AsyncGenerator<Buffer, void, undefined> {
  for (let at = start; end === undefined || at < end; ) {
    const want = end === undefined ? CHUNK : Math.min(CHUNK, end - at);
    const buffer = Buffer.allocUnsafe(want);
    let got: number;
    try {
      ({ bytesRead: got } = await handle.read(buffer, 0, want, at));
    } catch (error) {
      throw fail(error);
    }
    if (got === 0) return;
    at += got;
    onBytes(got);
    yield buffer.subarray(0, got);
  }
}
