/**
 * The other core's half of WorkerSha256: hashes the chunks the main thread
 * posts, lowers the shared in-flight counter as it goes, and publishes the
 * digest into shared memory when asked.
 */
import { createHash, type Hash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { DIGEST_OFFSET, IN_FLIGHT, RESULT_READY, type HashRequest } from "./protocol.js";

const state = new Int32Array(workerData as SharedArrayBuffer);
const digestBytes = new Uint8Array(workerData as SharedArrayBuffer, DIGEST_OFFSET, 32);
let hash: Hash = createHash("sha256");

parentPort!.on("message", (request: HashRequest) => {
  if (request.type === "chunk") {
    hash.update(request.data);
    Atomics.sub(state, IN_FLIGHT, request.data.byteLength);
    Atomics.notify(state, IN_FLIGHT);
  } else {
    digestBytes.set(hash.digest());
    hash = createHash("sha256");
    Atomics.store(state, RESULT_READY, 1);
    Atomics.notify(state, RESULT_READY);
  }
});
