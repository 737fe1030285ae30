/**
 * The command line: the router (digest and verify to audit-command.ts, push
 * and oci to publish-command.ts) and the image command itself: parsing,
 * one-line errors, and a quiet exit when the reader of stdout goes away
 * (--output's write-then-rename is output-file.ts's).  Separate from cli.ts so tests can run it in
 * one process.  The image is prepared by prepareImageAsync, the library's own:
 * no test hook is reachable from here (the fault tests build their runner
 * from runImageCommand and image/image.ts's hooked preparation, in
 * test/support/cli-with-hooks.ts).
 */
import type { Writable } from "node:stream";
import { EXIT_BAD_INPUT, EXIT_OK, EXIT_STREAM_FAULT, type CliIo } from "./io.ts";
import type { ImageConf } from "../conf/validate.ts";
import { prepareImageAsync } from "../image/image.ts";
import type { ImageOptions, PreparedImage } from "../image/types.ts";
import { HashWorkerError } from "../workers/hash/errors.ts";
import type { PythonVersion } from "../profile/python.ts";
import { ProgressDisplay } from "./progress.ts";
import { VERSION } from "../version.ts";
import { UsageError } from "./option-table.ts";
import { optionHelp, parseCommandArgs, readImageConf } from "./options.ts";
import { openOutput, type Output } from "./output-file.ts";
import { isAuditCommand, isPublishCommand } from "./command-names.ts";
import { digestCacheOption } from "./read-options.ts";
import type { DigestCache } from "../passes/digest-cache.ts";
import type { Generation } from "../profile/generation.ts";

export const USAGE = `usage: stream-layered-image [options] CONF
       stream-layered-image digest [options] CONF
       stream-layered-image verify [options] CONF IMAGE
       stream-layered-image push [options] CONF IMAGE-REF
       stream-layered-image oci [options] CONF DIR

Writes the Docker image described by the JSON file CONF to stdout, byte for
byte as nixpkgs' stream_layered_image.py does under the chosen CPython, with
the same progress lines on stderr.

options:
${optionHelp(["image"])}
stderr: the reference's lines ("Creating layer 0 from paths: [...]", ...,
"Done."), exactly, and on a terminal also one progress line kept up to date
below them: layer k/n, hashing or streaming, bytes done / total, rate, ETA.

digest cache: each store layer's sha256, size and CRC-32 are kept (see
--digest-cache), with the layer's walk (every entry's name, mode, size,
ctime and inode).  An entry is trusted when an lstat of each entry of that
walk (no directory listed, no file opened) finds them as recorded: then
the layer is not hashed, and is streamed from that walk.  Safe for a Nix
store, read-only, where a path's content never changes; and any write to a
file moves its ctime, as an entry added or removed moves its directory's,
which the kernel sets and no program can set back.  The layer's bytes are
still checked against the entry's sha256 as they stream.  --root on a
mutable copy: a file rewritten within one tick of the filesystem's clock
(whole seconds on ext4 with 128-byte inodes) while it is hashed, or a
network filesystem showing cached metadata, can leave an entry that the
stream then rejects (exit 1, entry dropped); use --no-digest-cache there
(docs/cli.md#digest-cache).

exit codes:
  ${EXIT_OK}  the image was written
  ${EXIT_STREAM_FAULT}  a failure while streaming (a store file changed between the hash pass and
     the stream pass, vanished, became unreadable, a layer did not match its
     digest cache entry, or stdout was closed): the output is truncated,
     never a complete image with a wrong digest
  ${EXIT_BAD_INPUT}  bad usage or bad input (conf, store paths, customisation layer, created),
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

--python, --generation, -t, --root and --debug mean the same in every command.
`;

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
  /** --digest-cache DIR or the default one; false with --no-digest-cache. */
  readonly digestCache: DigestCache | false;
}

/** The main command's arguments (throws UsageError). */
export function parseCommandLine(argv: readonly string[]): CliOptions | "help" | "version" {
  const parsed = parseCommandArgs("image", argv);
  if (typeof parsed === "string") return parsed;
  const { values, positionals } = parsed;
  return {
    conf: positionals[0]!,
    python: values.python,
    generation: values.generation,
    repoTag: values.repo_tag,
    root: values.root,
    output: values.output,
    debug: values.debug,
    quiet: values.quiet,
    digestCache: digestCacheOption(values),
  };
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
  // Imported when used: their modules would delay the stream's first byte.
  if (isAuditCommand(argv[0])) return (await import("./audit-command.ts")).runAuditCli(argv[0], argv.slice(1), io);
  if (isPublishCommand(argv[0])) return (await import("./publish-command.ts")).runPublishCli(argv[0], argv.slice(1), io);
  return runImageCommand(argv, io, prepareImageAsync);
}

/** How the image command prepares its image (every check and hash pass): prepareImageAsync, in the shipped CLI. */
export type PrepareImage = (conf: ImageConf, options: ImageOptions) => Promise<PreparedImage>;

/** The main command, `[options] CONF`, with its image prepared by `prepare`; resolves with the exit code. */
export async function runImageCommand(argv: readonly string[], io: CliIo, prepare: PrepareImage): Promise<number> {
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
    const conf = readImageConf(options.conf, options);
    if (options.output !== undefined) output = openOutput(options.output);
    // Every check that can be made up front runs here, so bad input never
    // replaces the output file nor writes a byte to stdout.
    image = await prepare(conf, { python: options.python, root: options.root, log, progress: display?.event, reuseChunks: true, digestCache: options.digestCache });
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
