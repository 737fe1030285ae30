/**
 * Inputs and helpers of the compression tests: compressible pseudo-random
 * bytes, the same bytes cut into chunks of other sizes, a realistic sample
 * (files of this machine's /usr, already-compressed ones left out), and
 * reading a compressed layer to the end.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { compressLayer, type CompressedDigest, type CompressOptions } from "../../src/workers/compress/compress-layer.ts";
import { Prng } from "./prng.ts";

/** Text-like bytes: words from a seeded generator, with some random bytes mixed in (both matches and literals). */
export function compressibleBytes(length: number, seed: number): Buffer {
  const prng = new Prng(seed);
  const words = ["store", "nix", "layer", "lib", "bin", "share", "/", "\n", " ", "=", "0x", "python3.11", "__pycache__", "site-packages"];
  const out = Buffer.alloc(length);
  for (let at = 0; at < length; ) {
    if (prng.chance(0.05)) out[at++] = prng.int(256);
    else at += out.write(prng.pick(words), at);
  }
  return out;
}

/** `bytes` cut into chunks whose sizes cycle through `sizes`. */
export function* chunked(bytes: Buffer, sizes: readonly number[]): Generator<Buffer> {
  let index = 0;
  for (let at = 0; at < bytes.length; index++) {
    const size = sizes[index % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** The same chunks, one per turn of the event loop. */
export async function* slowly(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  for (const chunk of chunks) {
    await new Promise((resolve) => setImmediate(resolve));
    yield chunk;
  }
}

/** Compresses and reads the layer to the end. */
export async function compressAll(input: Iterable<Buffer> | AsyncIterable<Buffer>, options: CompressOptions): Promise<{ bytes: Buffer; result: CompressedDigest; chunks: number }> {
  const layer = compressLayer(input, options);
  const parts: Buffer[] = [];
  for await (const part of layer.chunks) parts.push(part);
  return { bytes: Buffer.concat(parts), result: await layer.result(), chunks: parts.length };
}

const COMPRESSED = /\.(gz|xz|bz2|zst|zip|jar|png|jpg|gif|whl|egg|pyc)$/;

/**
 * Up to `limit` bytes of files under the first of `roots` that exist, in a
 * stable order: what a store layer holds (code, text, some binaries).
 * Empty when none exists.
 */
export function realisticSample(limit: number, roots: readonly string[] = ["/usr/lib/python3.11", "/usr/share/perl", "/usr/lib/git-core", "/usr/share"]): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (const root of roots) {
    let names: string[];
    try {
      names = readdirSync(root, { recursive: true, encoding: "utf8" }).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (total >= limit) break;
      const path = join(root, name);
      try {
        if (COMPRESSED.test(name) || !statSync(path).isFile()) continue;
        const bytes = readFileSync(path);
        parts.push(bytes.subarray(0, limit - total));
        total += Math.min(bytes.length, limit - total);
      } catch {
        // Unreadable: skip it.
      }
    }
    if (total >= limit) break;
  }
  return Buffer.concat(parts);
}
