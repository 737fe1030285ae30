/**
 * Our CLI's `runCli` in this process, as a child process would run it:
 * exit code, stdout bytes, stderr text.  The golden image tests run most
 * cases so (a process launch costs more than most images) and keep a few
 * real launches of dist/cli.js, which must give the same.
 */
import { Writable } from "node:stream";
import { runCli } from "../../src/cli/run.ts";
import { withTz } from "./audit-cases.ts";
import type { ProcessResult } from "./reference.ts";
// No digest cache of the user's is read or filled (the CLI and streamImage keep one by default).
import "./cache-home.ts";

/** Runs `args` with TZ set to `tz` (undefined: unset) for the duration, as `runOurCli` does for a child. */
export async function runOurCliInProcess(args: readonly string[], tz: string | undefined): Promise<ProcessResult> {
  const stdout = copyingWritable();
  let stderr = "";
  const status = await withTz(tz, () => runCli(args, { stdout, stderr: (text) => (stderr += text) }));
  return { status, stdout: stdout.bytes(), stderr };
}

/** A Writable keeping a copy of every chunk: the CLI and streamImage reuse their chunk buffers (reuseChunks). */
export function copyingWritable(): Writable & { bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return Object.assign(stream, { bytes: () => Buffer.concat(chunks) });
}
