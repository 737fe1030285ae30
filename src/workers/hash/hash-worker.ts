/**
 * The other core's half of RingHasher: digests each committed slot in place
 * (sha256, CRC-32 or both, as MODE asks), frees it by advancing TAIL, and
 * publishes the results when a slot carries FINISH_REQUEST.
 *
 * A main thread blocked in Atomics.wait cannot see this thread's 'error' or
 * 'exit' events, so a failure is also published in shared memory (FAILED,
 * with waiters woken) and its message sent on the port, which the main
 * thread can read synchronously.
 */
import { createHash, type Hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { workerData, type MessagePort } from "node:worker_threads";
import { CRC_ONLY, CRC_RESULT, DIGEST_OFFSET, FAILED, FINISH_REQUEST, HEAD, LENGTHS, MODE, RESULT_READY, SHA256_ONLY, SLOT_BYTES, SLOTS, SLOTS_OFFSET, TAIL } from "./protocol.ts";

const { shared, port } = workerData as { shared: SharedArrayBuffer; port: MessagePort };
const control = new Int32Array(shared, 0, SLOTS_OFFSET / 4);
const digestBytes = new Uint8Array(shared, DIGEST_OFFSET, 32);

function publishFailure(message: string): void {
  if (Atomics.load(control, FAILED) !== 0) return;
  port.postMessage(message);
  Atomics.store(control, FAILED, 1);
  Atomics.notify(control, TAIL);
  Atomics.notify(control, RESULT_READY);
}

// process.exit() anywhere in this thread: the main thread must not wait on.
process.on("exit", (code) => publishFailure(`the hash worker thread exited (code ${code})`));

function digestForever(): never {
  let hash: Hash = createHash("sha256");
  let crc = 0;
  for (let tail = 0; ; tail++) {
    while (Atomics.load(control, HEAD) === tail) Atomics.wait(control, HEAD, tail);
    const slot = tail % SLOTS;
    const length = Atomics.load(control, LENGTHS + slot);
    if (length === FINISH_REQUEST) {
      if (Atomics.load(control, MODE) !== CRC_ONLY) digestBytes.set(hash.digest());
      hash = createHash("sha256");
      Atomics.store(control, CRC_RESULT, crc | 0);
      crc = 0;
      Atomics.store(control, RESULT_READY, 1);
      Atomics.notify(control, RESULT_READY);
    } else {
      const chunk = new Uint8Array(shared, SLOTS_OFFSET + slot * SLOT_BYTES, length);
      const mode = Atomics.load(control, MODE);
      // The CRC-32 here too in the hash pass: the walk on the main thread is the slower side.
      if (mode !== CRC_ONLY) hash.update(chunk);
      if (mode !== SHA256_ONLY) crc = crc32(chunk, crc);
    }
    Atomics.store(control, TAIL, tail + 1);
    Atomics.notify(control, TAIL);
  }
}

try {
  digestForever();
} catch (error) {
  publishFailure(`the hash worker thread failed: ${(error as Error).message}`);
  throw error;
}
