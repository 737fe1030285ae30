/**
 * The audit subcommands, `digest CONF` and `verify CONF IMAGE`, reached from
 * runCli when argv[0] names one.  The main command's --python, --generation,
 * -t, --root and --debug (option-table.ts); errors are one line on stderr,
 * results go to stdout.
 */
import { createReadStream, openSync, closeSync } from "node:fs";
import type { Readable } from "node:stream";
import type { PythonVersion } from "../profile/python.ts";
import { formatDigests, imageDigests } from "../audit/digest.ts";
import { verifyImage, ImageReadError } from "../audit/verify.ts";
import { formatVerifyResult } from "../audit/format.ts";
import { EXIT_BAD_INPUT, EXIT_DIFFERS, EXIT_OK, type CliIo } from "./io.ts";
import { UsageError } from "./option-table.ts";
import { optionHelp, parseCommandArgs, readImageConf } from "./options.ts";

export const AUDIT_COMMANDS = ["digest", "verify"] as const;
export type AuditCommand = (typeof AUDIT_COMMANDS)[number];

export function isAuditCommand(word: string | undefined): word is AuditCommand {
  return (AUDIT_COMMANDS as readonly (string | undefined)[]).includes(word);
}

export const AUDIT_USAGE = `usage: stream-layered-image digest [options] CONF
       stream-layered-image verify [options] CONF IMAGE

digest  runs only the hash passes and prints, as JSON, each layer's diff_id,
        size and store paths, the image id (the config's sha256) and the
        manifest; nothing is streamed.
verify  streams what CONF produces and compares it with IMAGE (a file, or -
        for stdin) without writing either; on a difference, names the first
        one (outer entry, inner entry, header field, PAX record, content
        offset or JSON path) and which oracle (--generation 2020 or current
        × --python) would produce IMAGE.

options:
${optionHelp(AUDIT_COMMANDS)}
exit codes:
  ${EXIT_OK}  digest: printed; verify: IMAGE is identical
  ${EXIT_DIFFERS}  verify: IMAGE differs (the report is on stdout)
  ${EXIT_BAD_INPUT}  bad usage or bad input (conf, store paths), or IMAGE unreadable
`;

/** IMAGE as a stream: `-` is stdin; a file is opened now so a missing one is an error before any hashing. */
function openImage(image: string, stdin: Readable): Readable {
  if (image === "-") return stdin;
  let fd: number;
  try {
    fd = openSync(image, "r");
  } catch (error) {
    throw new ImageReadError(image, (error as NodeJS.ErrnoException).code ?? String(error), { cause: error });
  }
  try {
    return createReadStream(image, { fd, highWaterMark: 1 << 20 });
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

export interface AuditIo extends CliIo {
  /** Where `verify CONF -` reads IMAGE (default process.stdin). */
  readonly stdin?: Readable;
}

/** Runs `digest` or `verify` with the arguments after the command word; resolves with the exit code. */
export async function runAuditCli(command: AuditCommand, argv: readonly string[], io: AuditIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandArgs>;
  try {
    parsed = parseCommandArgs(command, argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`stream-layered-image: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  if (typeof parsed === "string") {
    io.stdout.write(AUDIT_USAGE);
    return EXIT_OK;
  }
  const { values, positionals } = parsed;
  const { python, root, debug } = values;
  const [confPath, imagePath] = positionals as [string, string | undefined];
  const confFor = (version: PythonVersion, generation = values.generation) => readImageConf(confPath, { python: version, generation, repoTag: values.repo_tag });
  try {
    if (command === "digest") {
      io.stdout.write(formatDigests(imageDigests(confFor(python), { python, root })));
      return EXIT_OK;
    }
    const imageName = imagePath === "-" ? "stdin" : imagePath!;
    const conf = confFor(python);
    const image = openImage(imagePath!, io.stdin ?? process.stdin);
    const result = await verifyImage((version, generation) => (version === python && generation === undefined ? conf : confFor(version, generation)), image, { python, root, imageName });
    io.stdout.write(formatVerifyResult(result, imageName, confPath));
    return result.identical ? EXIT_OK : EXIT_DIFFERS;
  } catch (error) {
    io.stderr(`stream-layered-image: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
    return EXIT_BAD_INPUT;
  }
}
