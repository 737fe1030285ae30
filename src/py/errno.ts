/**
 * The errno codes a run meets, in words: one table for every message that
 * explains one.  `strerror` is glibc's text, which CPython's OSError shows
 * (the reference's traceback); `phrase` is how our own "Cannot archive"
 * messages say it (the codes without one read "error").
 */
const ERRNO: Readonly<Record<string, { readonly strerror: string; readonly phrase?: string }>> = {
  ENOENT: { strerror: "No such file or directory", phrase: "no such file or directory" },
  EACCES: { strerror: "Permission denied", phrase: "permission denied" },
  EPERM: { strerror: "Operation not permitted", phrase: "operation not permitted" },
  ENOTDIR: { strerror: "Not a directory", phrase: "a component of the path is not a directory" },
  ELOOP: { strerror: "Too many levels of symbolic links", phrase: "too many levels of symbolic links" },
  EISDIR: { strerror: "Is a directory", phrase: "is a directory" },
  ENAMETOOLONG: { strerror: "File name too long", phrase: "file name too long" },
  EIO: { strerror: "Input/output error", phrase: "input/output error" },
  ENOMEM: { strerror: "Cannot allocate memory" },
  EOVERFLOW: { strerror: "Value too large for defined data type" },
};

/** glibc's strerror for `code` (an unknown code: the code itself). */
export function strerror(code: string): string {
  return ERRNO[code]?.strerror ?? code;
}

/** `code` in the words of our own messages ("permission denied"), or "error". */
export function errnoPhrase(code: string): string {
  return ERRNO[code]?.phrase ?? "error";
}
