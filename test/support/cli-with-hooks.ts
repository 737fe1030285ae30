/**
 * Runs the CLI in this process with a deterministic fault between a layer's
 * hash pass and its stream pass, described by SLI_TEST_FAULT as JSON:
 *   {"layer": 0, "action": "truncate" | "append" | "flip" | "unlink" | "unreadable" | "kill", "path": "/abs/file"}
 * or in the bytes of a layer's stream pass, after they were read and before
 * any check sees them, where no member record can notice (a disk or a reader
 * returning other bytes, a bug in the walk):
 *   {"layer": 0, "action": "stream-flip" | "stream-extra" | "stream-short"}
 * (on the layer's last, partial chunk).  Used by the fault and --output
 * tests; never part of the shipped CLI: the main command is run by its
 * exported runImageCommand with image/image.ts's hooked preparation, which
 * nothing under src/cli/ reaches.
 */
import { appendFileSync, chmodSync, openSync, readSync, writeSync, closeSync, truncateSync, unlinkSync } from "node:fs";
import { runImageCommand } from "../../src/cli/run.ts";
import { prepareImageAsyncWithHooks } from "../../src/image/image.ts";
import type { ImageTestHooks } from "../../src/image/types.ts";

interface Fault {
  readonly layer: number;
  readonly action: "truncate" | "append" | "flip" | "unlink" | "unreadable" | "kill" | "stream-flip" | "stream-extra" | "stream-short";
  readonly path: string;
}

/** The layer's last chunk (the only partial one), changed in place in the hasher's slot. */
function alterLastChunk(fault: Fault, chunk: Buffer): Buffer {
  if (chunk.length >= 1 << 20) return chunk;
  switch (fault.action) {
    case "stream-flip":
      chunk[chunk.length - 1] = chunk[chunk.length - 1]! ^ 0xff;
      return chunk;
    case "stream-extra":
      // Still a view of the slot the hasher lent, one block longer.
      return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length + 512);
    case "stream-short":
      return chunk.subarray(0, chunk.length - 512);
    default:
      return chunk;
  }
}

function inject(fault: Fault): void {
  switch (fault.action) {
    case "truncate":
      truncateSync(fault.path, 1);
      break;
    case "append":
      appendFileSync(fault.path, "more");
      break;
    case "flip": {
      const fd = openSync(fault.path, "r+");
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, 0);
      byte[0] = byte[0]! ^ 0xff;
      writeSync(fd, byte, 0, 1, 0);
      closeSync(fd);
      break;
    }
    case "unlink":
      unlinkSync(fault.path);
      break;
    case "unreadable":
      chmodSync(fault.path, 0);
      break;
    case "kill":
      process.kill(process.pid, "SIGKILL");
      break;
    default:
      break;
  }
}

const fault = JSON.parse(process.env.SLI_TEST_FAULT ?? "null") as Fault | null;
process.stdout.on("error", () => {});
const hooks: ImageTestHooks = {
  betweenPasses: (num) => {
    if (fault !== null && num === fault.layer) inject(fault);
  },
  streamedChunk: (num, chunk) => (fault !== null && num === fault.layer ? alterLastChunk(fault, chunk) : chunk),
};
process.exitCode = await runImageCommand(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: (text) => process.stderr.write(text) },
  (conf, options) => prepareImageAsyncWithHooks(conf, options, hooks),
);
