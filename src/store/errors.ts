/**
 * What the store stage raises: CannotArchiveError (a store path or an entry
 * under it cannot go into a layer, found before any byte is written) with
 * the errno in words, and displayPath, how every message shows a raw name.
 */
import { errnoPhrase } from "../py/errno.ts";
import { fsDecode } from "../py/fsname.ts";

/** Shows a raw file name the way a person can read it; undecodable bytes appear as \udcXX. */
export function displayPath(path: Uint8Array | string): string {
  const text = typeof path === "string" ? path : fsDecode(path);
  return JSON.stringify(text);
}

/** A store path or an entry under it cannot be put into a layer. */
export class CannotArchiveError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot archive ${path}: ${reason}`, options);
    this.path = path;
    this.reason = reason;
    this.name = "CannotArchiveError";
  }

  static fromFsError(path: Uint8Array | string, action: string, error: unknown): CannotArchiveError {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === undefined ? String(error) : `${action} failed: ${errnoPhrase(code)} (${code})`;
    return new CannotArchiveError(displayPath(path), reason, { cause: error });
  }
}
