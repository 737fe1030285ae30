/**
 * Decompresses a gzip base image into a descriptor the main thread opened
 * (an unlinked file), on its own thread so the store layers' hash passes
 * run meanwhile.  As in workers/hash/hash-worker.ts, the outcome is published in shared
 * memory (the main thread may be blocked in Atomics.wait, deaf to events)
 * and a failure's message sent on the port, readable synchronously.
 */
import { createReadStream, write } from "node:fs";
import { Writable, pipeline } from "node:stream";
import { workerData, type MessagePort } from "node:worker_threads";
import { createGunzip } from "node:zlib";
import { CHUNK_BYTES, DONE, FAILED, RUNNING, STATE } from "./gunzip-protocol.ts";

const { shared, port, pathHex, fd } = workerData as { shared: SharedArrayBuffer; port: MessagePort; pathHex: string; fd: number };
const state = new Int32Array(shared);

function publish(outcome: typeof DONE | typeof FAILED, message?: string): void {
  if (Atomics.load(state, STATE) !== RUNNING) return;
  if (message !== undefined) port.postMessage(message);
  Atomics.store(state, STATE, outcome);
  Atomics.notify(state, STATE);
  port.close();
}

process.on("exit", (code) => publish(FAILED, `the decompression thread exited (code ${code})`));

/** Appends to the main thread's descriptor and never closes it (an fs.WriteStream closes it when destroyed). */
function appendAll(chunk: Buffer, done: (error?: Error | null) => void): void {
  write(fd, chunk, 0, chunk.length, null, (error, written) => {
    if (error !== null) done(error);
    else if (written < chunk.length) appendAll(chunk.subarray(written), done);
    else done();
  });
}

pipeline(
  // The path's raw bytes: a store path need not be UTF-8.
  createReadStream(Buffer.from(pathHex, "hex"), { highWaterMark: CHUNK_BYTES }),
  createGunzip({ chunkSize: CHUNK_BYTES }),
  new Writable({ highWaterMark: CHUNK_BYTES, write: (chunk: Buffer, _encoding, done) => appendAll(chunk, done) }),
  (error) => {
    if (error === null || error === undefined) publish(DONE);
    else publish(FAILED, (error as NodeJS.ErrnoException).code ?? error.message);
  },
);
