/**
 * The command line: the router (digest and verify to audit-command.ts, push
 * and oci to publish-command.ts) and the image command itself: parsing,
 * one-line errors, --output's write-then-rename, and a quiet exit when the
 * reader of stdout goes away.  Separate from cli.ts so tests can run it with
 * hooks in one process.
 */
import { parseArgs } from "node:util";
import type { Writable } from "node:stream";
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_STREAM_FAULT, type CliIo } from "./io.ts";
import { validateConf } from "../conf/validate.ts";
import { readConfFile } from "../conf/read.ts";
import { prepareImageAsyncWithHooks } from "../image/image.ts";
import type { PreparedImage } from "../image/types.ts";
import { HashWorkerError } from "../workers/hash/errors.ts";
import { DEFAULT_PYTHON, PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "../profile/python.ts";
import { ProgressDisplay } from "./progress.ts";
import { VERSION } from "../version.ts";
import { openOutput, type Output } from "./output-file.ts";
import { isAuditCommand, runAuditCli } from "./audit-command.ts";
import { isPublishCommand, runPublishCli } from "./publish-command.ts";
import type { Generation } from "../profile/generation.ts";
import { parseGenerationOption } from "../conf/generation.ts";

export const USAGE = `usage: stream-layered-image [options] CONF
       stream-layered-image digest [--python VERSION] [--root DIR] CONF
       stream-layered-image verify [--python VERSION] [--root DIR] CONF IMAGE
       stream-layered-image push [options] CONF IMAGE-REF
       stream-layered-image oci [options] CONF DIR

Writes the Docker image described by the JSON file CONF to stdout, byte for
byte as nixpkgs' stream_layered_image.py does under the chosen CPython, with
the same progress lines on stderr.

options:
  --python VERSION   CPython whose bytes to reproduce: ${PYTHON_VERSIONS.join(", ")} (default ${DEFAULT_PYTHON})
  --generation GEN   which script's bytes to reproduce: 2020 (nixpkgs 20.09's script) or
                     current (today's: conf keys store_dir, from_image, mtime, uid, gid,
                     uname, gname).  Default: detected from the conf's keys (none of
                     those: 2020; all: current; some: refused)
  -t, --repo_tag TAG the current script's option: replaces the conf's repo_tag (empty: kept)
  --root DIR         read /nix/... from DIR/nix/..., as if DIR/nix were mounted on /nix:
                     store paths, customisation layer and from_image alike, symlinks and
                     .. resolved as there, other paths read where they are (names in the
                     image are unchanged)
  -o, --output FILE  write the image to FILE instead of stdout: FILE is replaced only
                     once the image is complete, and left untouched otherwise
                     (a FIFO or a device such as /dev/null is written in place)
  -q, --quiet        print nothing on stderr but errors (no progress lines)
  --debug            print the stack trace of an error
  -h, --help         show this help
  --version          print the version (${VERSION}) and exit

stderr: the reference's lines ("Creating layer 0 from paths: [...]", ...,
"Done."), exactly, and on a terminal also one progress line kept up to date
below them: layer k/n, hashing or streaming, bytes done / total, rate, ETA.

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

publish (see push --help, oci --help):
  push CONF IMAGE-REF  push to a registry (docker://HOST[:PORT]/REPO[:TAG]), only the layers it lacks
  oci CONF DIR         write an OCI image layout

audit (see digest --help, verify --help):
  digest CONF        print the image's digests as JSON (hash passes only, nothing streamed)
  verify CONF IMAGE  compare IMAGE (or - for stdin) with what CONF produces; exit 0 if
                     identical, 1 with the first difference explained, 2 on bad input
`;

class UsageError extends Error {}

export interface CliOptions {
  readonly conf: string;
  readonly python: PythonVersion;
  /** --generation: undefined means detected from the conf. */
  readonly generation: Generation | undefined;
  readonly repoTag: string | undefined;
  readonly root: string | undefined;
  readonly output: string | undefined;
  readonly debug: boolean;
  /** No log lines, no progress line: stderr only for errors. */
  readonly quiet: boolean;
}

const OPTIONS = {
  python: { type: "string" },
  generation: { type: "string" },
  repo_tag: { type: "string", short: "t" },
  root: { type: "string" },
  output: { type: "string", short: "o" },
  quiet: { type: "boolean", short: "q" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** Edit distance, for "did you mean": insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]![j]!;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      rows[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known option closest to an unknown one, if any is close: `--pyton` → `--python`. */
export function suggestOption(unknown: string): string | undefined {
  const name = unknown.replace(/^-+/, "").replace(/=.*$/, "");
  if (name === "") return undefined;
  let best: { option: string; distance: number } | undefined;
  for (const [option, spec] of Object.entries(OPTIONS)) {
    const candidates = [option, ...("short" in spec ? [spec.short] : [])];
    for (const candidate of candidates) {
      const distance = editDistance(name, candidate);
      const limit = candidate.length <= 2 ? 0 : candidate.length <= 4 ? 1 : 2;
      if (distance <= limit && (best === undefined || distance < best.distance)) best = { option: `--${option}`, distance };
    }
    // A prefix of a long option (--out for --output) is not accepted, but is surely meant.
    if (name.length >= 2 && option.startsWith(name) && best === undefined) best = { option: `--${option}`, distance: option.length - name.length };
  }
  return best?.option;
}

/** parseArgs' errors as one short line with a hint. */
function usageErrorFrom(error: unknown): UsageError {
  const { code, message } = error as { code?: string; message: string };
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined) {
    const suggestion = suggestOption(quoted);
    return new UsageError(`unknown option '${quoted}' (${suggestion === undefined ? "" : `did you mean ${suggestion}? `}see --help)`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && quoted !== undefined) {
    // "Option '-o, --output <value>' argument missing", "Option '-q, --quiet' does not take an argument"
    const option = quoted.replace(/^-[^-], /, "").replace(/ <value>$/, "");
    if (/ argument missing$/.test(message)) return new UsageError(`option '${option}' needs a value (see --help)`);
    if (/ does not take an argument$/.test(message)) return new UsageError(`option '${option}' does not take a value (see --help)`);
  }
  // parseArgs explains "--" at length after the first sentence; keep the sentence.
  const sentence = message.split(/\.\s|\n/)[0] ?? message;
  return new UsageError(`${sentence.charAt(0).toLowerCase()}${sentence.slice(1)} (see --help)`);
}

export function parseCommandLine(argv: readonly string[]): CliOptions | "help" | "version" {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (values.version) return "version";
  const python = values.python ?? DEFAULT_PYTHON;
  if (!isPythonVersion(python)) throw new UsageError(`--python must be one of ${PYTHON_VERSIONS.join(", ")}, not ${JSON.stringify(python)}`);
  const generation = parseGenerationOption(values.generation, (message) => new UsageError(message));
  if (positionals.length !== 1) throw new UsageError(`expected exactly one CONF argument, got ${positionals.length} (see --help)`);
  return { conf: positionals[0]!, python, generation, repoTag: values.repo_tag, root: values.root, output: values.output, debug: values.debug ?? false, quiet: values.quiet ?? false };
}

/** The reader of our output went away (`| head -c 100`). */
class OutputClosed extends Error {}
const CLOSED_CODES = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);

/**
 * Writes `chunks` to `stream`, one at a time: each write completes before the
 * next chunk is asked for, so the image writer can refill a single buffer
 * (constant memory).  Rejects with OutputClosed when the reader went away;
 * on any failure the chunks are closed (their open file, their hasher).
 */
async function pump(chunks: AsyncGenerator<Buffer>, stream: Writable): Promise<void> {
  try {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      const chunk = next.value;
      await new Promise<void>((resolve, reject) =>
        stream.write(chunk, (error) => {
          if (error === undefined || error === null) resolve();
          else reject(CLOSED_CODES.has((error as NodeJS.ErrnoException).code ?? "") ? new OutputClosed() : error);
        }),
      );
    }
  } finally {
    await chunks.return(undefined);
  }
}

/** Runs the command line; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (isAuditCommand(argv[0])) return runAuditCli(argv[0], argv.slice(1), io);
  if (isPublishCommand(argv[0])) return runPublishCli(argv[0], argv.slice(1), io);
  let options: CliOptions | "help" | "version";
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
  if (options === "version") {
    io.stdout.write(`stream-layered-image ${VERSION}\n`);
    return EXIT_OK;
  }
  const { debug, quiet } = options;
  // Off a terminal, stderr is exactly the reference's lines; --quiet drops them.
  const display = quiet || io.terminal !== true ? undefined : new ProgressDisplay({ write: io.stderr, columns: io.columns });
  const log = quiet ? undefined : (display?.log ?? ((line: string) => io.stderr(`${line}\n`)));
  const report = (error: unknown): void => {
    display?.finish();
    io.stderr(`stream-layered-image: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
  };
  let image: PreparedImage;
  let output: Output | undefined;
  try {
    const conf = validateConf(readConfFile(options.conf, options.python), options.conf, {
      generation: options.generation,
      repoTag: options.repoTag,
      python: options.python,
    });
    if (options.output !== undefined) output = openOutput(options.output);
    // Every check that can be made up front runs here, so bad input never
    // replaces the output file nor writes a byte to stdout.
    image = await prepareImageAsyncWithHooks(
      conf,
      { python: options.python, root: options.root, log, progress: display?.event, reuseChunks: true },
      io.hooks ?? {},
    );
  } catch (error) {
    output?.discard();
    report(error);
    // Not the input's fault: the hash worker thread failed.
    return error instanceof HashWorkerError ? EXIT_STREAM_FAULT : EXIT_BAD_INPUT;
  }
  try {
    if (output === undefined) await pump(image.asyncChunks(), io.stdout);
    else await output.write((stream) => pump(image.asyncChunks(), stream));
    display?.finish();
    return EXIT_OK;
  } catch (error) {
    if (error instanceof OutputClosed) {
      display?.finish();
      return EXIT_STREAM_FAULT;
    }
    report(error);
    return EXIT_STREAM_FAULT;
  } finally {
    image.close();
  }
}
