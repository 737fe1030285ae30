/**
 * File names as CPython sees them: `os.fsdecode` turns raw bytes into a str
 * with UTF-8 + surrogateescape, so every byte of an invalid sequence becomes
 * one code point U+DC80..U+DCFF.  We keep names as raw bytes and answer the
 * questions tarfile and pathlib ask of the decoded str without decoding it.
 */

/**
 * Length of the valid UTF-8 sequence starting at `i` as CPython's strict
 * decoder accepts it (no overlongs, no encoded surrogates, nothing above
 * U+10FFFF), or 0 when the byte at `i` would be escaped.  Escaping byte by
 * byte is equivalent to CPython's "maximal invalid subpart" handling, since
 * a subpart's trailing bytes are continuation bytes that never start a
 * sequence themselves.
 */
export function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 >= 0xe1 && b0 <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

export interface StrFacts {
  /** `len(str)`: code points (a lone surrogate counts as one). */
  readonly length: number;
  /** `str.encode("ascii")` would succeed. */
  readonly ascii: boolean;
  /** `str.encode("utf-8", "strict")` would succeed: no lone surrogate. */
  readonly utf8: boolean;
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What tarfile's PAX decision asks of a str (a JS string standing for a Python str). */
export function strFacts(value: string): StrFacts {
  if (ASCII_ONLY.test(value)) return { length: value.length, ascii: true, utf8: true };
  let length = 0;
  for (let i = 0; i < value.length; i++, length++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return { length, ascii: false, utf8: !LONE_SURROGATE.test(value) };
}

const QUESTION_MARK = 0x3f;

/**
 * Writes `str.encode("ascii", "replace")[:width]` into `target` at `offset`
 * (one "?" per non-ASCII code point, lone surrogates included), as tarfile's
 * `stn(..., "ascii", "replace")` does for every ustar string field.  The rest
 * of the field is left as it is (zero in a fresh header).
 */
export function writeAsciiReplaced(value: string, target: Uint8Array, offset: number, width: number): void {
  let out = 0;
  for (let i = 0; i < value.length && out < width; i++, out++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      target[offset + out] = c;
      continue;
    }
    target[offset + out] = QUESTION_MARK;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
}

/**
 * A byte string whose plain byte order equals the code point order of the
 * surrogateescape-decoded name: valid sequences are kept (UTF-8 preserves code
 * point order) and an escaped byte b becomes the 3-byte generalized UTF-8 form
 * of U+DC00+b, which sorts between U+D7FF and U+E000 exactly like the str.
 */
export function codePointSortKey(bytes: Uint8Array): Buffer {
  let escaped = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = bytes[i]! < 0x80 ? 1 : utf8SequenceLength(bytes, i);
    if (n === 0) escaped++;
    i += n || 1;
  }
  if (escaped === 0) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const key = Buffer.allocUnsafe(bytes.length + 2 * escaped);
  let out = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = bytes[i]! < 0x80 ? 1 : utf8SequenceLength(bytes, i);
    if (n === 0) {
      const cp = 0xdc00 | bytes[i]!;
      key[out++] = 0xe0 | (cp >> 12);
      key[out++] = 0x80 | ((cp >> 6) & 0x3f);
      key[out++] = 0x80 | (cp & 0x3f);
      i++;
    } else {
      for (let k = 0; k < n; k++) key[out++] = bytes[i + k]!;
      i += n;
    }
  }
  return key;
}

/** Thrown when a str cannot be turned back into file name bytes. */
export class UnencodableNameError extends Error {
  readonly value: string;
  constructor(value: string) {
    super(`Cannot encode ${JSON.stringify(value)} as a file name: it holds a lone surrogate outside U+DC80..U+DCFF`);
    this.value = value;
    this.name = "UnencodableNameError";
  }
}

/**
 * `os.fsencode(str)`: UTF-8, with the lone surrogates U+DC80..U+DCFF turned
 * back into the raw bytes they stand for (surrogateescape).  Any other lone
 * surrogate makes CPython raise UnicodeEncodeError, and so do we.
 */
export function fsEncode(value: string): Buffer {
  let hasSurrogate = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      hasSurrogate = true;
      break;
    }
  }
  if (!hasSurrogate) return Buffer.from(value, "utf8");
  const parts: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        for (const b of Buffer.from(value.slice(i, i + 2), "utf8")) parts.push(b);
        i++;
        continue;
      }
      throw new UnencodableNameError(value);
    }
    if (c >= 0xdc80 && c <= 0xdcff) {
      parts.push(c - 0xdc00);
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new UnencodableNameError(value);
    } else {
      for (const b of Buffer.from(value[i]!, "utf8")) parts.push(b);
    }
  }
  return Buffer.from(parts);
}

/** `os.fsdecode(bytes)` as a JS string (escaped bytes become lone surrogates). */
export function fsDecode(bytes: Uint8Array): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = bytes[i]! < 0x80 ? 1 : utf8SequenceLength(bytes, i);
    if (n === 0) {
      out += utf8Text(bytes, start, i) + String.fromCharCode(0xdc00 | bytes[i]!);
      i++;
      start = i;
    } else {
      i += n;
    }
  }
  return out + utf8Text(bytes, start, bytes.length);
}

/** Decodes a valid UTF-8 range through a view (Buffer.from(Uint8Array) would copy it). */
function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8");
}

/** Python's str comparison: by code point (JS `<` compares UTF-16 units, which puts U+E000 after U+1F600). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return i < a.length ? 1 : j < b.length ? -1 : 0;
}
