/**
 * A NUL-terminated byte string as the C `fromisoformat` parsers walk it.
 * CPython hands them the UTF-8 buffer of the str, which always ends in NUL,
 * and several checks depend on reading that NUL (or an embedded one) as the
 * end of the text.  Reads past the end yield 0 too: the only paths that get
 * there already failed on the terminating NUL in C.
 */
export class CBytes {
  readonly bytes: Uint8Array;
  readonly length: number;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.length = bytes.length;
  }

  at(i: number): number {
    return i >= 0 && i < this.length ? this.bytes[i]! : 0;
  }

  isDigit(i: number): boolean {
    const c = this.at(i);
    return c >= 0x30 && c <= 0x39;
  }
}

export const ch = (s: string): number => s.charCodeAt(0);

/**
 * C `parse_digits`: read exactly `count` ASCII digits starting at `pos`,
 * accumulating onto `start` (the C code does `*var = *var * 10 + digit`).
 * Null when a non-digit comes first.
 */
export function parseDigits(
  s: CBytes,
  pos: number,
  count: number,
  start = 0,
): { pos: number; value: number } | null {
  let value = start;
  for (let i = 0; i < count; i++) {
    if (!s.isDigit(pos)) return null;
    value = value * 10 + (s.at(pos) - 0x30);
    pos++;
  }
  return { pos, value };
}

/**
 * How far the C code steps over the date/time separator: it looks only at
 * the high bits of the first byte (1 for ASCII, 3 for 0xEx, 4 for 0xFx and
 * 2 for anything else, even a continuation byte).
 */
export function separatorWidth(lead: number): number {
  if ((lead & 0x80) === 0) return 1;
  switch (lead & 0xf0) {
    case 0xe0:
      return 3;
    case 0xf0:
      return 4;
    default:
      return 2;
  }
}

/** Everything the C parsers produce before the datetime is constructed. */
export interface RawIsoFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  /** rv of `parse_isoformat_time`: 1 when an offset was given. */
  hasOffset: boolean;
  tzSeconds: number;
  tzMicroseconds: number;
}

/** Mutable H/M/S/µs block filled by `parse_hh_mm_ss_ff`. */
export interface Hmsf {
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
}
