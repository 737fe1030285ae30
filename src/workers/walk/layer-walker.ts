/**
 * LayerWalker: the digest cache's check of some layers on another thread
 * (walk-worker.ts) while this one checks the others, so a warm start waits
 * for the larger half of the walks instead of all of them.  Each layer comes
 * back as its print and its walk (the buffers moved, not copied), or as
 * failed: the walk threw, or the worker could not start or died, and the
 * caller walks that layer itself (the error then in the walk's own words).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { LayerStyle } from "../../layer/layer-walk.ts";
import type { PythonVersion } from "../../profile/python.ts";
import { WalkedList } from "../../store/walked-list.ts";
import { pauseWhile, type Pause } from "../pause.ts";
import type { PartWalk } from "./part-walk.ts";
import { workerBeside } from "../worker-url.ts";
import { ANSWERS, CELLS, EXITED, type WalkAnswer, type WalkRequest } from "./protocol.ts";

const WORKER_URL = workerBeside(new URL("./walk-worker.js", import.meta.url), import.meta.url);

/** A layer (or part) walked on the other thread: its print and entries, whether its split entry was there. */
export type WalkedLayer = PartWalk;

export class LayerWalker {
  private readonly worker: Worker | undefined;
  private readonly port: MessagePort | undefined;
  private readonly answers = new Int32Array(new SharedArrayBuffer(CELLS * 4));
  /** Settles when the worker ends: an async wait must not outlive it. */
  private readonly ended: Promise<void>;
  private readonly asked: number[] = [];
  private dead = false;

  constructor() {
    let worker: Worker | undefined;
    let port: MessagePort | undefined;
    try {
      // No worker file or no worker threads: every layer comes back failed, and is walked here.
      if (existsSync(fileURLToPath(WORKER_URL))) {
        const channel = new MessageChannel();
        worker = new Worker(WORKER_URL, { workerData: { port: channel.port2, answers: this.answers }, transferList: [channel.port2] });
        port = channel.port1;
      }
    } catch {
      worker = undefined;
      port = undefined;
    }
    this.worker = worker;
    this.port = port;
    this.ended = new Promise<void>((resolve) => {
      if (worker === undefined) return resolve();
      const end = () => {
        this.dead = true;
        resolve();
      };
      worker.on("error", end);
      worker.on("exit", end);
    });
  }

  /** Starts walking request `id` (a layer or a part of one) there. */
  walk(request: WalkRequest): void {
    this.asked.push(request.id);
    this.port?.postMessage(request);
  }

  /** Every request: walked (by id), or missing where it failed. */
  *results(): Generator<Pause, Map<number, WalkedLayer>> {
    const walked = new Map<number, WalkedLayer>();
    let received = 0;
    while (this.port !== undefined && received < this.asked.length) {
      const message = receiveMessageOnPort(this.port)?.message as WalkAnswer | undefined;
      if (message !== undefined) {
        received++;
        if (!("failed" in message)) walked.set(message.id, { walk: message.walk, list: WalkedList.fromParts(message.list), found: message.found });
        continue;
      }
      if (this.dead || Atomics.load(this.answers, EXITED) !== 0) break;
      const seen = Atomics.load(this.answers, ANSWERS);
      if (seen > received) continue;
      yield pauseWhile(this.answers, ANSWERS, seen, this.ended);
    }
    return walked;
  }

  /** Ends the worker. */
  close(): void {
    this.port?.close();
    void this.worker?.terminate();
  }
}
