/**
 * `datetime.fromisoformat(value)` exactly as the C `_datetime` module of a
 * given CPython version computes it: same accepted strings, same result,
 * same exception message.
 */
import { CBytes } from "./datetime-cbytes.ts";
import { InvalidIsoFormatError } from "./datetime-errors.ts";
import {
  checkedDateTime,
  checkUtcOffset,
  type PyDateTime,
  type PyTimedelta,
  timedeltaFromMicroseconds,
} from "./datetime-value.ts";
import { parseIsoLegacy } from "./fromisoformat-legacy.ts";
import { parseIsoModern } from "./fromisoformat-modern.ts";
import { reprStr } from "../repr.ts";
import type { PythonVersion } from "../version.ts";

const isSurrogate = (cp: number): boolean => cp >= 0xd800 && cp <= 0xdfff;

/**
 * C `_sanitize_isoformat_str`: a lone surrogate is tolerated in the separator
 * position only (it cannot be UTF-8 encoded, so it is replaced by 'T').
 * 3.8-3.10 look at index 10 of strings longer than 10 code points; 3.11+
 * look at indexes 7, 8, 10 (first surrogate wins) and reject strings shorter
 * than 7 code points outright (null).
 */
function sanitize(codePoints: number[], modern: boolean): number[] | null {
  if (!modern) {
    if (codePoints.length <= 10 || !isSurrogate(codePoints[10]!)) return codePoints;
    return codePoints.map((cp, i) => (i === 10 ? 0x54 : cp));
  }
  if (codePoints.length < 7) return null;
  for (const pos of [7, 8, 10]) {
    if (pos > codePoints.length) break;
    // Index == length reads the str's terminating NUL in C: not a surrogate.
    const cp = codePoints[pos];
    if (cp !== undefined && isSurrogate(cp)) return codePoints.map((c, i) => (i === pos ? 0x54 : c));
  }
  return codePoints;
}

const UTF8 = new TextEncoder();

/** UTF-8 bytes, or null when a lone surrogate makes the str unencodable. */
function encodeUtf8(codePoints: number[]): Uint8Array | null {
  if (codePoints.some(isSurrogate)) return null;
  return UTF8.encode(codePoints.map((cp) => String.fromCodePoint(cp)).join(""));
}

/** No UTF-16 surrogate at all: code points are code units, nothing to sanitize. */
const PLAIN_BMP = /^[^\ud800-\udfff]*$/;

function isModern(python: PythonVersion): boolean {
  return python !== "3.8" && python !== "3.9" && python !== "3.10";
}

/**
 * `datetime.fromisoformat(value)` for `python`.  Throws
 * InvalidIsoFormatError, UtcOffsetRangeError or DateTimeRangeError with
 * CPython's message (checked in that order, as CPython does).
 */
export function fromIsoFormat(value: string, python: PythonVersion): PyDateTime {
  const modern = isModern(python);
  const invalid = (): InvalidIsoFormatError => new InvalidIsoFormatError(value, reprStr(value, python));
  let bytes: Uint8Array | null;
  if (PLAIN_BMP.test(value)) {
    // Fast path: no surrogate anywhere, so no separator to sanitize.
    if (modern && value.length < 7) throw invalid();
    bytes = UTF8.encode(value);
  } else {
    // Python str indexes count code points; JS lone surrogates stay single units.
    const codePoints = Array.from(value, (c) => c.codePointAt(0)!);
    const clean = sanitize(codePoints, modern);
    if (clean === null) throw invalid();
    bytes = encodeUtf8(clean);
    if (bytes === null) throw invalid();
  }
  const s = new CBytes(bytes);
  const raw = modern ? parseIsoModern(s, python === "3.13") : parseIsoLegacy(s);
  if (raw === null) throw invalid();

  // C `tzinfo_from_isoformat_results`: a zero seconds part means UTC, even
  // when the offset had a (dropped) microseconds part.
  let utcoffset: PyTimedelta | null = null;
  if (raw.hasOffset) {
    utcoffset =
      raw.tzSeconds === 0
        ? { days: 0, seconds: 0, microseconds: 0 }
        : checkUtcOffset(timedeltaFromMicroseconds(raw.tzSeconds * 1_000_000 + raw.tzMicroseconds));
  }
  return checkedDateTime({ ...raw, utcoffset });
}
