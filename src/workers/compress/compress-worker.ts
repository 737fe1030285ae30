/**
 * A compression worker thread: runs each block request it is sent (see
 * codec.ts) in order and sends back the compressed block and the request's
 * own buffer (for the next block), their ArrayBuffers transferred, not copied.  A failure is a reply with an error, so one bad
 * block never takes down the thread the pool shares.
 */
import { parentPort } from "node:worker_threads";
import { runBlock, type BlockRequest } from "./codec.ts";

const port = parentPort!;
port.on("message", (request: BlockRequest) => {
  const reply = runBlock(request);
  port.postMessage(reply, reply.output === undefined ? [reply.input] : [reply.output, reply.input]);
});
