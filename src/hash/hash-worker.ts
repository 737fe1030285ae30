/**
 * The other core's half of RingSha256: hashes each committed slot in place,
 * frees it by advancing TAIL, and publishes the digest when a slot carries
 * DIGEST_REQUEST instead of a length.
 */
import { createHash, type Hash } from "node:crypto";
import { workerData } from "node:worker_threads";
import { DIGEST_OFFSET, DIGEST_REQUEST, HEAD, LENGTHS, RESULT_READY, SLOT_BYTES, SLOTS, SLOTS_OFFSET, TAIL } from "./protocol.js";

const shared = workerData as SharedArrayBuffer;
const control = new Int32Array(shared, 0, SLOTS_OFFSET / 4);
const digestBytes = new Uint8Array(shared, DIGEST_OFFSET, 32);
let hash: Hash = createHash("sha256");

for (let tail = 0; ; tail++) {
  while (Atomics.load(control, HEAD) === tail) Atomics.wait(control, HEAD, tail);
  const slot = tail % SLOTS;
  const length = Atomics.load(control, LENGTHS + slot);
  if (length === DIGEST_REQUEST) {
    digestBytes.set(hash.digest());
    hash = createHash("sha256");
    Atomics.store(control, RESULT_READY, 1);
    Atomics.notify(control, RESULT_READY);
  } else {
    hash.update(new Uint8Array(shared, SLOTS_OFFSET + slot * SLOT_BYTES, length));
  }
  Atomics.store(control, TAIL, tail + 1);
  Atomics.notify(control, TAIL);
}
