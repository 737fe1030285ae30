/**
 * LayerWalker's other thread: walks each layer it is sent (layerWalk), its
 * print and its entries kept as the digest cache's check does on the main
 * thread, and sends them back, the buffers transferred.
 */
import { workerData, type MessagePort } from "node:worker_threads";
import { layerWalk } from "../../layer/layer.ts";
import { WalkPrint } from "../../store/walk-print.ts";
import { WalkedList } from "../../store/walked-list.ts";
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

port.on("message", ({ id, paths, root, python, style }: WalkRequest) => {
  let print: WalkPrint;
  let list: WalkedList;
  try {
    print = new WalkPrint();
    list = new WalkedList();
    for (const entry of layerWalk(paths, { root, python, style })) {
      print.add(entry);
      list.push(entry);
    }
  } catch {
    answer({ id, failed: true });
    return;
  }
  const parts = list.parts();
  answer({ id, walk: print.digest(), list: parts }, [parts.numbers.buffer as ArrayBuffer, parts.text.buffer as ArrayBuffer]);
});
