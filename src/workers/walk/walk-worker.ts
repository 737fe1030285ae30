/**
 * LayerWalker's other thread: walks each layer or part of a layer it is
 * sent (walkPart, as the digest cache's check does on the main thread), and
 * sends its print and entries back, the buffers transferred.
 */
import { workerData, type MessagePort } from "node:worker_threads";
import { walkPartSync, type PartWalk } from "./part-walk.ts";
import { ANSWERS, EXITED, type WalkAnswer, type WalkRequest } from "./protocol.ts";

const { port, answers } = workerData as { port: MessagePort; answers: Int32Array };

// A thread blocked waiting for an answer sees no 'exit' event: it sees this.
process.on("exit", () => {
  Atomics.store(answers, EXITED, 1);
  Atomics.notify(answers, ANSWERS);
});

function answer(message: WalkAnswer, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(answers, ANSWERS, 1);
  Atomics.notify(answers, ANSWERS);
}

port.on("message", ({ id, paths, root, python, style, part }: WalkRequest) => {
  let walked: PartWalk;
  try {
    walked = walkPartSync(paths, part, { root, python, style });
  } catch {
    answer({ id, failed: true });
    return;
  }
  const parts = walked.list.parts();
  answer({ id, walk: walked.walk, list: parts, found: walked.found }, [parts.numbers.buffer as ArrayBuffer, parts.text.buffer as ArrayBuffer]);
});
