/**
 * What the command line's commands share: CliIo, the output streams and
 * terminal facts a command runs with (the tests pass their own), and the
 * exit codes.  The router (run.ts) and the commands (audit-command.ts,
 * publish-command.ts) import it; it imports none of them.
 */
import type { Writable } from "node:stream";

export const EXIT_OK = 0;
/** The image command: something failed after the first byte was written: the output is truncated. */
export const EXIT_STREAM_FAULT = 1;
/** verify: IMAGE is not what the conf produces (the report is on stdout). */
export const EXIT_DIFFERS = 1;
/**
 * push, oci: the registry, the network, the layout directory, the hash
 * worker or the store failed after the checks: no tag moved, DIR not replaced.
 */
export const EXIT_PUBLISH_FAULT = 1;
/** Bad usage or bad input, found before any byte was written or sent. */
export const EXIT_BAD_INPUT = 2;

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal: draw a progress line below the log lines (unless --quiet). */
  readonly terminal?: boolean;
  /** The terminal's width, if known: the progress line is cut to fit. */
  readonly columns?: number | undefined;
}
