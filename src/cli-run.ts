/**
 * The command line: parsing, the exit codes, one-line errors, --output's
 * write-then-rename, and a quiet exit when the reader of stdout goes away.
 * Separate from cli.ts so tests can run it with hooks in one process.
 */
import { closeSync, createWriteStream, renameSync, rmSync, fsyncSync, openSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import type { Writable } from "node:stream";
import { readConfFile, validateConf } from "./conf.js";
import { prepareImage, type ImageOptions } from "./image.js";
import { DEFAULT_PYTHON, PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "./profile.js";

export const EXIT_OK = 0;
/** Something failed after the first byte was written: the output is truncated. */
export const EXIT_STREAM_FAULT = 1;
/** Bad usage or bad input, found before any byte was written. */
export const EXIT_BAD_INPUT = 2;

export const USAGE = `usage: stream-layered-image [options] CONF

Writes the Docker image described by the JSON file CONF to stdout, byte for
byte as nixpkgs' stream_layered_image.py does under the chosen CPython, with
the same progress lines on stderr.

options:
  --python VERSION   CPython whose bytes to reproduce: ${PYTHON_VERSIONS.join(", ")} (default ${DEFAULT_PYTHON})
  --root DIR         read /nix/store/... from DIR/nix/store/... (names in the image are unchanged)
  -o, --output FILE  write the image to FILE instead of stdout: FILE is replaced only
                     once the image is complete, and left untouched otherwise
  --debug            print the stack trace of an error
  -h, --help         show this help

exit codes:
  0  the image was written
  1  a failure while streaming (a store file changed between the hash pass and
     the stream pass, vanished, became unreadable, or stdout was closed): the
     output is truncated, never a complete image with a wrong digest
  2  bad usage or bad input (conf, store paths, customisation layer, created),
     found before any byte was written

example:
  stream-layered-image conf.json > image.tar
  stream-layered-image --python 3.8 --root ./copy -o image.tar conf.json
`;

class UsageError extends Error {}

export interface CliOptions {
  readonly conf: string;
  readonly python: PythonVersion;
  readonly root: string | undefined;
  readonly output: string | undefined;
  readonly debug: boolean;
}

export function parseCommandLine(argv: readonly string[]): CliOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        python: { type: "string" },
        root: { type: "string" },
        output: { type: "string", short: "o" },
        debug: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    // parseArgs explains "--" at length after the first sentence; keep the sentence.
    throw new UsageError(`${(error as Error).message.split(/\.\s|\n/)[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const python = values.python ?? DEFAULT_PYTHON;
  if (!isPythonVersion(python)) throw new UsageError(`--python must be one of ${PYTHON_VERSIONS.join(", ")}, not ${JSON.stringify(python)}`);
  if (positionals.length !== 1) throw new UsageError(`expected exactly one CONF argument, got ${positionals.length} (see --help)`);
  return { conf: positionals[0]!, python, root: values.root, output: values.output, debug: values.debug ?? false };
}

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: (text: string) => void;
  /** Test hooks passed on to the image writer. */
  readonly hooks?: Pick<ImageOptions, "betweenPasses">;
}

/** The reader of our output went away (`| head -c 100`). */
class OutputClosed extends Error {}
const CLOSED_CODES = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);

/**
 * Writes `chunks` to `stream`, one at a time: each write completes before the
 * next chunk is asked for, so the image writer can refill a single buffer
 * (constant memory).  Rejects with OutputClosed when the reader went away.
 */
async function pump(chunks: Iterator<Buffer>, stream: Writable): Promise<void> {
  for (let next = chunks.next(); !next.done; next = chunks.next()) {
    await new Promise<void>((resolve, reject) =>
      stream.write(next.value, (error) => {
        if (error === undefined || error === null) resolve();
        else reject(CLOSED_CODES.has((error as NodeJS.ErrnoException).code ?? "") ? new OutputClosed() : error);
      }),
    );
  }
}

/** A temporary file beside `target`, renamed over it only on success. */
async function writeToFile(target: string, write: (stream: Writable) => Promise<void>): Promise<void> {
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const stream = createWriteStream(temporary, { flags: "wx", mode: 0o644 });
  // Failures reach pump through the write callbacks; the event would crash.
  stream.on("error", () => {});
  try {
    await write(stream);
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const fd = openSync(temporary, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  } catch (error) {
    stream.destroy();
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Runs the command line; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: CliOptions | "help";
  try {
    options = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`stream-layered-image: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  if (options === "help") {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  const { debug } = options;
  const report = (error: unknown): void => {
    io.stderr(`stream-layered-image: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
  };
  let image;
  try {
    const conf = validateConf(readConfFile(options.conf, options.python), options.conf);
    // Every check that can be made up front runs here, so bad input never
    // creates the output file nor writes a byte to stdout.
    image = prepareImage(conf, {
      python: options.python,
      root: options.root,
      log: (line) => io.stderr(`${line}\n`),
      reuseChunks: true,
      ...io.hooks,
    });
  } catch (error) {
    report(error);
    return EXIT_BAD_INPUT;
  }
  try {
    if (options.output === undefined) await pump(image.chunks(), io.stdout);
    else await writeToFile(options.output, (stream) => pump(image.chunks(), stream));
    return EXIT_OK;
  } catch (error) {
    if (error instanceof OutputClosed) return EXIT_STREAM_FAULT;
    report(error);
    return EXIT_STREAM_FAULT;
  }
}
