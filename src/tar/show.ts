/** How bytes and values are shown to a person (tar differences, verify reports): escaped, NUL padding named, long values cut. */
import { fsDecode } from "../py/fsname.ts";

const MAX_SHOWN = 160;

/** A field or byte run as escaped text; trailing NULs (field padding) are counted, not printed. */
export function showBytes(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end === 0) return bytes.length === 0 ? "nothing" : `${bytes.length} NUL byte${bytes.length === 1 ? "" : "s"}`;
  const cut = Math.min(end, MAX_SHOWN);
  let text = JSON.stringify(fsDecode(bytes.subarray(0, cut)));
  if (cut < end) text += ` (+${end - cut} more bytes)`;
  return end < bytes.length ? `${text} + ${bytes.length - end} NUL` : text;
}

/** Hex of a short byte run, for content differences (binary files are common in layers). */
export function showHex(bytes: Uint8Array): string {
  if (bytes.length === 0) return "nothing (end of data)";
  const ascii = Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  return `${Buffer.from(bytes).toString("hex").replace(/(..)(?!$)/g, "$1 ")} |${ascii}|`;
}

/** The offset of the first differing byte of two buffers, or -1 when equal (a prefix differs at the shorter length). */
export function firstDifferingByte(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  // Compare big slices first: archives are often megabytes long.
  const step = 65536;
  let start = 0;
  while (start < n && Buffer.from(a.buffer, a.byteOffset + start, Math.min(step, n - start)).equals(Buffer.from(b.buffer, b.byteOffset + start, Math.min(step, n - start)))) start += step;
  for (let i = start; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** A number of bytes, exact, with a readable unit for large ones. */
export function showSize(n: number): string {
  return n < 10240 ? `${n} bytes` : `${n} bytes (${(n / 1048576).toFixed(1)} MiB)`;
}
