/**
 * The hash passes on the second core while the main thread streams: first
 * layer 0's hash pass (the stream cannot start before it, and it checks
 * layer 0 on the way), then the other layers' up-front checks (the walk,
 * headers, opens — no content), so the main thread may write its first
 * byte, then each further layer's hash pass in order (sha256 and CRC-32 on
 * this thread, an entry log for the stream pass's checks), each result sent
 * as soon as it is known.
 *
 * No CRC-32 here: this thread is the slower of the two (it hashes while the
 * other mostly waits for it), so the stream pass checks its bytes against
 * the sha256 itself.  With SHA instructions a sha256 costs about twice a
 * CRC-32; without them the stream pass's sha256 only evens the two threads.
 */
import { createHash } from "node:crypto";
import { workerData, type MessagePort } from "node:worker_threads";
import { EntryLog } from "../entry-log.js";
import { CannotArchiveError } from "../errors.js";
import { checkLayer, layerChunks, type EntryRecord } from "../layer.js";
import { CHUNK_SIZE } from "../tar/writer.js";
import { HASHING_KIB, HASHING_LAYER, SEQ, type HashThreadJob, type HashThreadMessage, type SentError } from "./hash-thread-protocol.js";

const { shared, port, job } = workerData as { shared: SharedArrayBuffer; port: MessagePort; job: HashThreadJob };
const seq = new Int32Array(shared);

function send(message: HashThreadMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(seq, SEQ, 1);
  Atomics.notify(seq, SEQ);
}

function sendable(error: unknown): SentError {
  if (error instanceof CannotArchiveError) return { name: error.name, message: error.message, path: error.path, reason: error.reason };
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  return { name, message };
}

let finished = false;
// process.exit() or a crash anywhere in this thread: the main thread must not wait on.
process.on("exit", (code) => {
  if (!finished) send({ kind: "failed", phase: "hash", num: -1, error: { name: "HashWorkerError", message: `the hash pass thread exited (code ${code})` } });
});

const options = { root: job.root, python: job.python, style: job.style };
/** One output buffer for every layer: each chunk is hashed before the next is asked for. */
const buffer = Buffer.allocUnsafe(CHUNK_SIZE);

/** Layers `from`.. checked in order; undefined once one failed (its failure sent). */
function checkFrom(from: number): number[] | undefined {
  const sizes: number[] = [];
  for (let num = from; num < job.layers.length; num++) {
    try {
      sizes.push(checkLayer(job.layers[num]!, job.mtime, options));
    } catch (error) {
      send({ kind: "failed", phase: "check", num, error: sendable(error) });
      return undefined;
    }
  }
  return sizes;
}

/** Layer `num`'s hash pass, its result sent; its size, or undefined once it failed (its failure sent as `phase`'s). */
function hashLayer(num: number, phase: "check" | "hash"): number | undefined {
  const hash = createHash("sha256");
  const entries = new EntryLog();
  let size = 0;
  Atomics.store(seq, HASHING_LAYER, num);
  Atomics.store(seq, HASHING_KIB, 0);
  try {
    for (const chunk of layerChunks(job.layers[num]!, job.mtime, { ...options, nextBuffer: () => buffer, onEntry: (record: EntryRecord) => entries.push(record) })) {
      hash.update(chunk);
      size += chunk.length;
      // A main thread waiting for this layer wakes to show the progress (one notify per MiB).
      Atomics.store(seq, HASHING_KIB, Math.floor(size / 1024));
      Atomics.add(seq, SEQ, 1);
      Atomics.notify(seq, SEQ);
    }
  } catch (error) {
    send({ kind: "failed", phase, num, error: sendable(error) });
    return undefined;
  }
  const log = entries.toBytes();
  const bytes = new Uint8Array(log.bytes);
  send({ kind: "hashed", num, sha256: hash.digest("hex"), size, entries: bytes, entryCount: log.length }, [bytes.buffer as ArrayBuffer]);
  return size;
}

function run(): void {
  if (job.layers.length === 0) return send({ kind: "checked", sizes: [] });
  // Layer 0's hash pass is its check: the first byte waits for it anyway.
  const first = hashLayer(0, "check");
  if (first === undefined) return;
  const rest = checkFrom(1);
  if (rest === undefined) return;
  send({ kind: "checked", sizes: [first, ...rest] });
  for (let num = 1; num < job.layers.length; num++) if (hashLayer(num, "hash") === undefined) return;
}

run();
finished = true;
port.close();
