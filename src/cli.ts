#!/usr/bin/env node
/**
 * stream-layered-image CONF: a drop-in for `python3 stream_layered_image.py CONF`.
 * Writes the image tarball to stdout and the reference's progress lines to stderr.
 */
import { parseArgs } from "node:util";
import { readConfFile, validateConf, ConfError } from "./conf.js";
import { writeImage } from "./image.js";
import { StreamSink } from "./sinks.js";
import { DEFAULT_PYTHON, PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "./profile.js";

const USAGE = `usage: stream-layered-image [--python VERSION] [--root DIR] CONF

Writes the Docker image described by the JSON file CONF to stdout, byte for
byte as nixpkgs' stream_layered_image.py does under the chosen CPython.

options:
  --python VERSION  CPython whose bytes to reproduce: ${PYTHON_VERSIONS.join(", ")} (default ${DEFAULT_PYTHON})
  --root DIR        read /nix/store/... from DIR/nix/store/... (names in the image are unchanged)
  -h, --help        show this help

exit codes: 0 image written, 1 failure while streaming, 2 bad input or usage

example: stream-layered-image conf.json > image.tar
`;

class UsageError extends Error {}

interface CliOptions {
  readonly conf: string;
  readonly python: PythonVersion;
  readonly root: string | undefined;
}

function parseCommandLine(argv: string[]): CliOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        python: { type: "string" },
        root: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const python = values.python ?? DEFAULT_PYTHON;
  if (!isPythonVersion(python)) throw new UsageError(`--python must be one of ${PYTHON_VERSIONS.join(", ")}, not ${JSON.stringify(python)}`);
  if (positionals.length !== 1) throw new UsageError(`expected exactly one CONF argument, got ${positionals.length} (see --help)`);
  return { conf: positionals[0]!, python, root: values.root };
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`stream-layered-image: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  let conf;
  try {
    conf = validateConf(readConfFile(options.conf, options.python), options.conf);
  } catch (error) {
    if (error instanceof ConfError) {
      process.stderr.write(`stream-layered-image: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  try {
    await writeImage(conf, new StreamSink(process.stdout), {
      python: options.python,
      root: options.root,
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    process.stderr.write(`stream-layered-image: ${(error as Error).message}\n`);
    if (process.env.SLI_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
