/**
 * The audit subcommands, `digest CONF` and `verify CONF IMAGE`, reached from
 * runCli when argv[0] names one.  The main command's --python, --generation,
 * -t, --root and --debug (option-table.ts); errors are one line on stderr,
 * results go to stdout.
 */
import type { Readable } from "node:stream";
import type { PythonVersion } from "../profile/python.ts";
import type { Generation } from "../profile/generation.ts";
import { formatDigests, imageDigests } from "../audit/digest.ts";
import { BlobCache } from "../passes/blob-cache.ts";
import { EXIT_BAD_INPUT, EXIT_DIFFERS, EXIT_OK, type CliIo } from "./io.ts";
import { runVerify } from "./verify-command.ts";
import { runDiff } from "./diff-command.ts";
import { UsageError } from "./option-table.ts";
import { optionHelp, parseCommandArgs, readImageConf } from "./options.ts";
import { blobCacheDir, digestCacheOption } from "./read-options.ts";

import { AUDIT_COMMANDS, type AuditCommand } from "./command-names.ts";

export const AUDIT_USAGE = `usage: stream-layered-image digest [options] CONF
       stream-layered-image verify [options] CONF IMAGE
       stream-layered-image diff [options] IMAGE-A IMAGE-B

IMAGE is, in skopeo's syntax: docker://HOST[:PORT]/REPO[:TAG|@sha256:...],
oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF] (written
by any tool), or a plain path to the docker-archive this program (or the
script) streams, or - for stdin.

digest  runs only the hash passes and prints, as JSON, each layer's diff_id,
        size and store paths, the image id (the config's sha256), the
        manifest, and the manifest digest a registry shows after push;
        nothing is streamed.  A layer whose digest cache entry is current
        (its store paths' metadata unchanged, see --help) is not read:
        its digests are the entry's.
verify  is IMAGE what CONF produces?  A plain path: compared byte for byte
        with the stream, without writing either; the first difference is
        named (outer entry, inner entry, header field, PAX record, content
        offset or JSON path) and which oracle (--generation × --python)
        would produce IMAGE.  Any other IMAGE: proved by its config when
        the config's digest is the image id CONF gives (no layer is
        fetched); else the config's differences are named, and each layer
        whose diff_id differs is fetched, decompressed and walked to its
        first differing member and field.
diff    every difference between two images: config paths, layer count,
        and per layer the members added, removed and changed with their
        fields.  A CONF (a file holding a JSON object) stands for what it
        produces.

options:
${optionHelp(AUDIT_COMMANDS)}
exit codes:
  ${EXIT_OK}  digest: printed; verify: IMAGE is CONF's; diff: the same
  ${EXIT_DIFFERS}  verify: IMAGE differs; diff: they differ (the report is on stdout)
  ${EXIT_BAD_INPUT}  bad usage or bad input (conf, store paths), or an image that cannot be
     read or is not what it claims (a blob not its digest): nothing compared
`;

export interface AuditIo extends CliIo {
  /** Where `verify CONF -` reads IMAGE (default process.stdin). */
  readonly stdin?: Readable;
}

/** Runs `digest`, `verify` or `diff` with the arguments after the command word; resolves with the exit code. */
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
  const readConf = (path: string, version: PythonVersion = python, generation: Generation | undefined = values.generation) => readImageConf(path, { python: version, generation, repoTag: values.repo_tag });
  try {
    if (command === "digest") {
      io.stdout.write(formatDigests(imageDigests(readConf(confPath), { python, root, digestCache: digestCacheOption(values), blobCache: new BlobCache(blobCacheDir(values)) })));
      return EXIT_OK;
    }
    if (command === "diff") return await runDiff(values, [confPath, imagePath!], (path) => readConf(path), io);
    const confFor = (version: PythonVersion, generation?: Generation) => readConf(confPath, version, generation ?? values.generation);
    return await runVerify({ values, confPath, imagePath: imagePath!, confFor, stdin: io.stdin ?? process.stdin }, io);
  } catch (error) {
    io.stderr(`stream-layered-image: ${(error as Error).message}\n`);
    if (debug) io.stderr(`${(error as Error).stack}\n`);
    return EXIT_BAD_INPUT;
  }
}
