/**
 * What the command line's commands share: CliIo, the output streams and
 * terminal facts a command runs with (the tests pass their own), and the
 * exit codes.  The router (run.ts) and the commands (audit-command.ts,
 * publish-command.ts) import it; it imports none of them.
 */
import type { Writable } from "node:stream";
import type { ImageTestHooks } from "../image/types.ts";

export const EXIT_OK = 0;
/** Something failed after the first byte was written: the output is truncated. */
export const EXIT_STREAM_FAULT = 1;
/** Bad usage or bad input, found before any byte was written. */
export const EXIT_BAD_INPUT = 2;

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal: draw a progress line below the log lines (unless --quiet). */
  readonly terminal?: boolean;
  /** The terminal's width, if known: the progress line is cut to fit. */
  readonly columns?: number | undefined;
  /** Test hooks passed on to the image writer. */
  readonly hooks?: ImageTestHooks;
}
