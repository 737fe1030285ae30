/**
 * Runs the CLI in this process with a deterministic fault between a layer's
 * hash pass and its stream pass, described by SLI_TEST_FAULT as JSON:
 *   {"layer": 0, "action": "truncate" | "append" | "flip" | "unlink" | "unreadable" | "kill", "path": "/abs/file"}
 * Used by the fault and --output tests; never part of the shipped CLI.
 */
import { appendFileSync, chmodSync, openSync, readSync, writeSync, closeSync, truncateSync, unlinkSync } from "node:fs";
import { runCli } from "../../src/cli-run.js";

interface Fault {
  readonly layer: number;
  readonly action: "truncate" | "append" | "flip" | "unlink" | "unreadable" | "kill";
  readonly path: string;
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
  }
}

const fault = JSON.parse(process.env.SLI_TEST_FAULT ?? "null") as Fault | null;
process.stdout.on("error", () => {});
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: (text) => process.stderr.write(text),
  hooks: {
    betweenPasses: (num) => {
      if (fault !== null && num === fault.layer) inject(fault);
    },
  },
});
