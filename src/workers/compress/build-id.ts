/**
 * compressorBuild: one string naming everything that decides a layer's
 * compressed bytes, for the blob cache to key on.  The format, the level,
 * the block scheme's version, the codec library's version, and a probe: a
 * fixed sample compressed here and hashed.  The probe is what catches what
 * the version does not: Node's bundled zlib (Chromium's) hashes strings
 * with CRC32C where the CPU has SSE4.2 or ARMv8 CRC and with zlib's rolling
 * hash elsewhere, and a Node built on the system zlib differs again.
 */
import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import { encodeBlock } from "./codec.ts";
import { assertSupported, resolveLevel, SCHEME_VERSION, type CompressFormat } from "./format.ts";

/** 64 KiB of text-like bytes (words from a fixed generator), so matches and the string hash are exercised. */
function probeSample(): Buffer {
  const words = ["layer", "store", "nix", "lib", "share", "bin", "0", "1", "=", "\n", "/", "-", "python3", "site-packages", "__init__.py", " "];
  const parts: string[] = [];
  let state = 0x2545f491;
  let length = 0;
  while (length < 65536) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const word = words[(state >>> 16) % words.length]!;
    parts.push(word);
    length += word.length;
  }
  return Buffer.from(parts.join("")).subarray(0, 65536);
}

const probes = new Map<string, string>();

/** The first 12 hex digits of the sha256 of the probe compressed as a block after a dictionary block would be. */
function probe(format: "gzip" | "zstd", level: number): string {
  const key = `${format}:${level}`;
  let found = probes.get(key);
  if (found === undefined) {
    const sample = probeSample();
    const dictionary = format === "gzip" ? sample.subarray(0, 32768) : undefined;
    found = createHash("sha256").update(encodeBlock(format, level, sample.subarray(32768), dictionary)).digest("hex").slice(0, 12);
    probes.set(key, found);
  }
  return found;
}

/**
 * E.g. "gzip-6/blocks-v2/zlib-1.3.1-e00f703/probe-0123456789ab" or
 * "zstd-3/blocks-v2/zstd-1.5.7/probe-…"; "none" for no compression.
 * Validates like compressLayer (CompressOptionError, CompressUnsupportedError).
 */
export function compressorBuild(format: CompressFormat, level?: number): string {
  if (format === "none") return "none";
  const resolved = resolveLevel(format, level);
  assertSupported(format, zlib);
  const library = format === "gzip" ? `zlib-${process.versions.zlib}` : `zstd-${process.versions["zstd"] ?? "unknown"}`;
  return `${format}-${resolved}/blocks-v${SCHEME_VERSION}/${library}/probe-${probe(format, resolved)}`;
}
