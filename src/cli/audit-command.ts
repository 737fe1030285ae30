/**
 * The audit subcommands, `digest CONF` and `verify CONF IMAGE`, reached from
 * runCli when argv[0] names one.  Same --python/--root as the main command;
 * errors are one line on stderr, results go to stdout.
 */
import { createReadStream, openSync, closeSync } from "node:fs";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { validateConf } from "../conf/validate.ts";
import { readConfFile } from "../conf/read.ts";
import { DEFAULT_PYTHON, PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "../profile/python.ts";
import { formatDigests, imageDigests } from "../audit/digest.ts";
import { verifyImage, ImageReadError } from "../audit/verify.ts";
import { formatVerifyResult } from "../audit/format.ts";
import type { CliIo } from "./io.ts";
import type { Generation } from "../profile/generation.ts";
import { parseGenerationOption } from "../conf/generation.ts";

export const AUDIT_COMMANDS = ["digest", "verify"] as const;
export type AuditCommand = (typeof AUDIT_COMMANDS)[number];

export function isAuditCommand(word: string | undefined): word is AuditCommand {
  return (AUDIT_COMMANDS as readonly (string | undefined)[]).includes(word);
}

export const AUDIT_USAGE = `usage: stream-layered-image digest [--python VERSION] [--generation GEN] [--root DIR] [-t TAG] CONF
       stream-layered-image verify [--python VERSION] [--generation GEN] [--root DIR] [-t TAG] CONF IMAGE

digest  runs only the hash passes and prints, as JSON, each layer's diff_id,
        size and store paths, the image id (the config's sha256) and the
        manifest; nothing is streamed.
verify  streams what CONF produces and compares it with IMAGE (a file, or -
        for stdin) without writing either; on a difference, names the first
        one (outer entry, inner entry, header field, PAX record, content
        offset or JSON path) and which oracle (--generation 2020 or current
        × --python) would produce IMAGE.
--generation and -t/--repo_tag are the main command's (see --help).

exit codes:
  0  digest: printed; verify: IMAGE is identical
  1  verify: IMAGE differs (the report is on stdout)
  2  bad usage or bad input (conf, store paths), or IMAGE unreadable
`;

class AuditUsageError extends Error {}

interface AuditOptions {
  readonly python: PythonVersion;
  readonly generation: Generation | undefined;
  readonly repoTag: string | undefined;
  readonly root: string | undefined;
  readonly debug: boolean;
  readonly positionals: readonly string[];
}

function parseAuditArgs(command: AuditCommand, argv: readonly string[]): AuditOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        python: { type: "string" },
        generation: { type: "string" },
        repo_tag: { type: "string", short: "t" },
        root: { type: "string" },
        debug: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new AuditUsageError(`${command}: ${(error as Error).message.split(/\.\s|\n/)[0]} (see ${command} --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const python = values.python ?? DEFAULT_PYTHON;
  if (!isPythonVersion(python)) throw new AuditUsageError(`--python must be one of ${PYTHON_VERSIONS.join(", ")}, not ${JSON.stringify(python)}`);
  const generation = parseGenerationOption(values.generation, (message) => new AuditUsageError(message));
  const wanted = command === "digest" ? "exactly one CONF argument" : "CONF and IMAGE arguments";
  if (positionals.length !== (command === "digest" ? 1 : 2)) throw new AuditUsageError(`${command}: expected ${wanted}, got ${positionals.length} (see ${command} --help)`);
  return { python, generation, repoTag: values.repo_tag, root: values.root, debug: values.debug ?? false, positionals };
}

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
  let options: AuditOptions | "help";
  try {
    options = parseAuditArgs(command, argv);
  } catch (error) {
    if (!(error instanceof AuditUsageError)) throw error;
    io.stderr(`stream-layered-image: ${error.message}\n`);
    return 2;
  }
  if (options === "help") {
    io.stdout.write(AUDIT_USAGE);
    return 0;
  }
  const { python, root, debug } = options;
  const [confPath, imagePath] = options.positionals as [string, string | undefined];
  const confFor = (version: PythonVersion, generation = options.generation) =>
    validateConf(readConfFile(confPath, version), confPath, { generation, repoTag: options.repoTag, python: version });
  try {
    if (command === "digest") {
      io.stdout.write(formatDigests(imageDigests(confFor(python), { python, root })));
      return 0;
    }
    const imageName = imagePath === "-" ? "stdin" : imagePath!;
    const conf = confFor(python);
    const image = openImage(imagePath!, io.stdin ?? process.stdin);
    const result = await verifyImage((version, generation) => (version === python && generation === undefined ? conf : confFor(version, generation)), image, { python, root, imageName });
    io.stdout.write(formatVerifyResult(result, imageName, confPath));
    return result.identical ? 0 : 1;
  } catch (error) {
    io.stderr(`stream-layered-image: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
    return 2;
  }
}
