/**
 * node build/bench/inflate.js FILE CHUNK_BYTES: Node's zlib inflating a gzip
 * file to nowhere (the speed issue 13 asks base layers to be copied at), with
 * the given read and output chunk size (16384 is zlib's default).
 */
import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";

const [file, chunk] = process.argv.slice(2);
if (file === undefined || chunk === undefined) throw new Error("usage: inflate.js FILE CHUNK_BYTES");
const size = Number(chunk);
await pipeline(createReadStream(file, { highWaterMark: Math.max(size, 65536) }), createGunzip({ chunkSize: size }), new Writable({ write: (_chunk, _encoding, done) => done() }));
