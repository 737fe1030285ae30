/**
 * Every option of every command, once (OPTIONS): its long name (the key),
 * short name, type, value name, help text, the commands that take it and
 * how its value is checked.  From it come each command's parsing
 * (parseCommandArgs: one parseArgs call knowing every option, so an option
 * of another command is named as such rather than unknown), the option
 * lines of each --help (optionHelp), the "did you mean" of an unknown
 * option (suggestOption), and the one-line usage errors.  readImageConf
 * applies the options that change the image (--python, --generation, -t)
 * to a conf, for every command alike.
 */
import { parseArgs } from "node:util";
import { validateConf, type ImageConf } from "../conf/validate.ts";
import { readConfFile } from "../conf/read.ts";
import { parseGenerationOption } from "../conf/generation.ts";
import type { Generation } from "../profile/generation.ts";
import { DEFAULT_PYTHON, PYTHON_VERSIONS, isPythonVersion, type PythonVersion } from "../profile/python.ts";
import { MANIFEST_FORMATS, type ManifestFormat } from "../publish/manifest.ts";
import { isValidTag } from "../publish/reference.ts";
import { VERSION } from "../version.ts";

/** The commands: "image" is the main one (`stream-layered-image [options] CONF`), the others are the word after the program's name. */
export const COMMANDS = ["image", "digest", "verify", "push", "oci"] as const;
export type Command = (typeof COMMANDS)[number];

/** A usage error: one line on stderr (the caller adds "stream-layered-image: "), exit 2. */
export class UsageError extends Error {}

/** What parseArgs gives for an option: a string, true for a flag, a list for a repeatable one, undefined when absent. */
type Given = string | boolean | string[] | undefined;

interface OptionSpec<T> {
  readonly short?: string;
  readonly type: "string" | "boolean";
  /** Repeatable: every value is kept. */
  readonly multiple?: boolean;
  /** The value's name in the help (`--python VERSION`); flags have none. */
  readonly value?: string;
  /** How the help shows the option, when not as `-s, --name VALUE`. */
  readonly shown?: string;
  /** The option given alone means this value (`--tls-verify` is `--tls-verify=true`, as in skopeo). */
  readonly alone?: string;
  /** Another option (its long name) this one cannot be given with. */
  readonly excludes?: string;
  readonly commands: readonly Command[];
  /** The help text; "\n" breaks it into lines. */
  readonly help: string;
  /** The help text for a command where it says more or other than `help`. */
  readonly helpIn?: Partial<Record<Command, string>>;
  /** The value a command sees: checks what was given (throws UsageError) and fills in the default. */
  readonly parse: (given: Given, command: Command) => T;
}

type Common = Pick<OptionSpec<unknown>, "short" | "shown" | "alone" | "commands" | "help" | "helpIn">;

/** An option with a value: the text itself (undefined when absent) unless `parse` says otherwise. */
function valueOption<T = string | undefined>(spec: Common & { readonly value: string; readonly parse?: (given: string | undefined, command: Command) => T }): OptionSpec<T> {
  const parse = spec.parse ?? ((given: string | undefined) => given as T);
  return { ...spec, type: "string", parse: (given, command) => parse(given as string | undefined, command) };
}

/** A repeatable option with a value: every value given, in order. */
function listOption(spec: Common & { readonly value: string }): OptionSpec<readonly string[]> {
  return { ...spec, type: "string", multiple: true, parse: (given) => (given as string[] | undefined) ?? [] };
}

/** A flag: true when given. */
function flagOption(spec: Common & { readonly excludes?: string }): OptionSpec<boolean> {
  return { ...spec, type: "boolean", parse: (given) => given === true };
}

/** A number >= 0 (whole, if `integer`), or undefined when absent (the default is the publisher's). */
function nonNegative(name: string, integer: boolean) {
  return (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw new UsageError(`--${name} must be a ${integer ? "whole " : ""}number >= 0, not ${JSON.stringify(text)}`);
    }
    return value;
  };
}

const ALL = COMMANDS;
const PUBLISH: readonly Command[] = ["push", "oci"];
const TAG_AFTER = "its tag is the default tag of push and oci (see --tag)";

/** Every option, in the order of the help. */
export const OPTIONS = {
  python: valueOption({
    value: "VERSION",
    commands: ALL,
    help: `CPython whose bytes to reproduce: ${PYTHON_VERSIONS.join(", ")} (default ${DEFAULT_PYTHON})`,
    parse: (given): PythonVersion => {
      const python = given ?? DEFAULT_PYTHON;
      if (!isPythonVersion(python)) throw new UsageError(`--python must be one of ${PYTHON_VERSIONS.join(", ")}, not ${JSON.stringify(python)}`);
      return python;
    },
  }),
  generation: valueOption({
    value: "GEN",
    commands: ALL,
    help:
      "which script's bytes to reproduce: 2020 (nixpkgs 20.09's script) or\n" +
      "current (today's: conf keys store_dir, from_image, mtime, uid, gid,\n" +
      "uname, gname).  Default: detected from the conf's keys (none of\n" +
      "those: 2020; all: current; some: refused)",
    parse: (given): Generation | undefined => parseGenerationOption(given, (message) => new UsageError(message)),
  }),
  repo_tag: valueOption({
    short: "t",
    value: "TAG",
    commands: ALL,
    help: "the current script's option: replaces the conf's repo_tag (empty: kept)",
    helpIn: {
      push: `the current script's option: replaces the conf's repo_tag (empty: kept);\n${TAG_AFTER}`,
      oci: `the current script's option: replaces the conf's repo_tag (empty: kept);\n${TAG_AFTER}`,
    },
  }),
  root: valueOption({
    value: "DIR",
    commands: ALL,
    help:
      "read /nix/... from DIR/nix/..., as if DIR/nix were mounted on /nix:\n" +
      "store paths, customisation layer and from_image alike, symlinks and\n" +
      ".. resolved as there, other paths read where they are (names in the\n" +
      "image are unchanged)",
  }),
  output: valueOption({
    short: "o",
    value: "FILE",
    commands: ["image"],
    help:
      "write the image to FILE instead of stdout: FILE is replaced only\n" +
      "once the image is complete, and left untouched otherwise\n" +
      "(a FIFO or a device such as /dev/null is written in place)",
  }),
  format: valueOption({
    value: "oci|docker",
    commands: PUBLISH,
    help: "manifest format: OCI (default) or Docker schema 2",
    parse: (given): ManifestFormat => {
      const format = given ?? "oci";
      if (!(MANIFEST_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${MANIFEST_FORMATS.join(", ")}, not ${JSON.stringify(format)}`);
      return format as ManifestFormat;
    },
  }),
  tag: valueOption({
    value: "TAG",
    commands: PUBLISH,
    help:
      "the tag to push (push) or the index.json ref name (oci); without it:\n" +
      "the IMAGE-REF's tag (push), else the tag of repo_tag (after -t), else latest",
    parse: (given) => {
      if (given !== undefined && !isValidTag(given)) throw new UsageError(`--tag ${JSON.stringify(given)} is not a valid tag`);
      return given;
    },
  }),
  "digest-cache": valueOption({
    value: "DIR",
    commands: PUBLISH,
    help:
      "keep store layers' digests in DIR (default\n" +
      "$XDG_CACHE_HOME/stream-layered-image/digests, else ~/.cache/...):\n" +
      "an unchanged layer (its store paths walked, no file read) is\n" +
      "not hashed again; the registry (oci: the writer) checks its digest",
    parse: (given, command) => {
      if (given === "") throw new UsageError(`${command}: --digest-cache needs a directory`);
      return given;
    },
  }),
  "no-digest-cache": flagOption({
    excludes: "digest-cache",
    commands: PUBLISH,
    help: "hash every layer, read and write no cache",
  }),
  creds: valueOption({
    value: "USER:PASS",
    commands: ["push"],
    help:
      "credentials (else $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,\n" +
      "~/.docker/config.json, as podman and skopeo read them)",
  }),
  authfile: valueOption({
    value: "FILE",
    commands: ["push"],
    help: "read credentials from this auth file only",
  }),
  "tls-verify": valueOption({
    value: "BOOL",
    shown: "--tls-verify=false",
    alone: "true",
    commands: ["push"],
    help: "do not verify the registry's certificate",
    parse: (given): boolean => {
      const tlsVerify = given ?? "true";
      if (tlsVerify !== "true" && tlsVerify !== "false") throw new UsageError(`--tls-verify must be true or false, not ${JSON.stringify(tlsVerify)}`);
      return tlsVerify === "true";
    },
  }),
  "plain-http": flagOption({
    commands: ["push"],
    help: "speak HTTP (default: HTTPS; a loopback registry without TLS: HTTP)",
  }),
  "from-repo": listOption({
    value: "REPO",
    commands: ["push"],
    help: "mount missing layers from REPO on the same registry (repeatable)",
  }),
  "retry-times": valueOption({
    value: "N",
    commands: ["push"],
    help: "retries of a call that failed on a reset, refusal or 5xx (default 3)",
    parse: nonNegative("retry-times", true),
  }),
  "retry-delay": valueOption({
    value: "SECS",
    commands: ["push"],
    help: "first wait before a retry, doubled each time (default 1)",
    parse: nonNegative("retry-delay", false),
  }),
  "chunk-size": valueOption({
    value: "BYTES",
    commands: ["push"],
    help:
      "bytes per PATCH request (default 256 MiB): a broken-off upload\n" +
      "resumes after the last whole one the registry has",
    parse: nonNegative("chunk-size", true),
  }),
  quiet: flagOption({
    short: "q",
    commands: ["image", "push", "oci"],
    help: "print nothing on stderr but errors (no progress lines)",
    helpIn: { push: "no per-layer lines, no progress line, no summary", oci: "no per-layer lines, no progress line, no summary" },
  }),
  debug: flagOption({ commands: ALL, help: "print the stack trace of an error" }),
  help: flagOption({ short: "h", commands: ALL, help: "show this help" }),
  version: flagOption({ commands: ["image"], help: `print the version (${VERSION}) and exit` }),
} as const;

export type OptionName = keyof typeof OPTIONS;
/** Each option's value as its command sees it (the default when absent). */
export type OptionValues = { readonly [K in OptionName]: (typeof OPTIONS)[K] extends OptionSpec<infer T> ? T : never };

const ENTRIES = Object.entries(OPTIONS) as [OptionName, OptionSpec<unknown>][];

/** The operands each command takes, for its "expected ..." error; push takes more than one IMAGE-REF. */
const OPERANDS: Readonly<Record<Command, { readonly names: readonly string[]; readonly more?: boolean }>> = {
  image: { names: ["CONF"] },
  digest: { names: ["CONF"] },
  verify: { names: ["CONF", "IMAGE"] },
  push: { names: ["CONF", "IMAGE-REF"], more: true },
  oci: { names: ["CONF", "DIR"] },
};

/** "digest: " before a subcommand's errors; nothing before the main command's. */
function prefix(command: Command): string {
  return command === "image" ? "" : `${command}: `;
}

/** Where the help is: `--help`, `push --help`. */
function helpRef(command: Command): string {
  return command === "image" ? "--help" : `${command} --help`;
}

/** A command as the errors name it. */
function commandName(command: Command): string {
  return command === "image" ? "the main command" : command;
}

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

/** The option of `command` closest to an unknown one, if any is close: `--pyton` → `--python`. */
export function suggestOption(unknown: string, command: Command = "image"): string | undefined {
  const name = unknown.replace(/^-+/, "").replace(/=.*$/, "");
  if (name === "") return undefined;
  let best: { option: string; distance: number } | undefined;
  for (const [option, spec] of ENTRIES) {
    if (!spec.commands.includes(command)) continue;
    for (const candidate of [option, ...(spec.short === undefined ? [] : [spec.short])]) {
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
function usageErrorFrom(error: unknown, command: Command): UsageError {
  const { code, message } = error as { code?: string; message: string };
  const quoted = /'([^']*)'/.exec(message)?.[1];
  const see = `see ${helpRef(command)}`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined) {
    const suggestion = suggestOption(quoted, command);
    return new UsageError(`${prefix(command)}unknown option '${quoted}' (${suggestion === undefined ? "" : `did you mean ${suggestion}? `}${see})`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && quoted !== undefined) {
    // "Option '-o, --output <value>' argument missing", "Option '-q, --quiet' does not take an argument"
    const option = quoted.replace(/^-[^-], /, "").replace(/ <value>$/, "");
    if (/ argument missing$/.test(message)) return new UsageError(`${prefix(command)}option '${option}' needs a value (${see})`);
    if (/ does not take an argument$/.test(message)) return new UsageError(`${prefix(command)}option '${option}' does not take a value (${see})`);
  }
  // parseArgs explains "--" at length after the first sentence; keep the sentence.
  const sentence = message.split(/\.\s|\n/)[0] ?? message;
  return new UsageError(`${prefix(command)}${sentence.charAt(0).toLowerCase()}${sentence.slice(1)} (${see})`);
}

/** "push", "push and oci", "the main command, push and oci". */
function listCommands(commands: readonly Command[]): string {
  const names = commands.map(commandName);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

export interface ParsedCommand {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

/**
 * The arguments after the command word (all of them for the main command),
 * checked against the table: "help" or "version" when asked for (before
 * any other check), else every option's value and the operands.  Throws
 * UsageError: an unknown option (with the closest one of this command), an
 * option of another command, a missing or unwanted value, two options that
 * exclude each other, a bad value, the wrong number of operands.
 */
export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedCommand | "help" | "version" {
  const alone = new Map(ENTRIES.filter(([, spec]) => spec.alone !== undefined).map(([name, spec]) => [`--${name}`, `--${name}=${spec.alone}`]));
  const options = Object.fromEntries(
    ENTRIES.map(([name, spec]) => [name, { type: spec.type, ...(spec.short === undefined ? {} : { short: spec.short }), ...(spec.multiple === true ? { multiple: true } : {}) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv.map((arg) => alone.get(arg) ?? arg), allowPositionals: true, options, tokens: true });
  } catch (error) {
    throw usageErrorFrom(error, command);
  }
  const given = parsed.values as Record<string, Given>;
  if (given["help"] === true && OPTIONS.help.commands.includes(command)) return "help";
  if (given["version"] === true && OPTIONS.version.commands.includes(command)) return "version";
  const see = `see ${helpRef(command)}`;
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    const spec = OPTIONS[token.name as OptionName];
    if (!spec.commands.includes(command)) throw new UsageError(`${prefix(command)}--${token.name} is an option of ${listCommands(spec.commands)} only (${see})`);
  }
  for (const [name, spec] of ENTRIES) {
    if (spec.excludes !== undefined && given[name] !== undefined && given[spec.excludes] !== undefined) {
      throw new UsageError(`${prefix(command)}--${spec.excludes} and --${name} exclude each other`);
    }
  }
  const values = Object.fromEntries(ENTRIES.map(([name, spec]) => [name, spec.parse(given[name], command)])) as unknown as OptionValues;
  const { names, more } = OPERANDS[command];
  const count = parsed.positionals.length;
  if (more === true ? count < names.length : count !== names.length) {
    const wanted = names.length === 1 ? `exactly one ${names[0]} argument` : `${names.join(" and ")} arguments`;
    throw new UsageError(`${prefix(command)}expected ${wanted}, got ${count} (${see})`);
  }
  return { values, positionals: parsed.positionals };
}

/** How the help shows an option: `-t, --repo_tag TAG`. */
function shownOption(name: OptionName, spec: OptionSpec<unknown>): string {
  return spec.shown ?? `${spec.short === undefined ? "" : `-${spec.short}, `}--${name}${spec.value === undefined ? "" : ` ${spec.value}`}`;
}

/**
 * The option lines of the help of `commands` (a family sharing one help:
 * digest and verify, push and oci), in the table's order: those all of
 * them take, then under "push only:" those of one alone.
 */
export function optionHelp(commands: readonly Command[]): string {
  const taken = ENTRIES.filter(([, spec]) => commands.some((command) => spec.commands.includes(command)));
  const width = Math.max(...taken.map(([name, spec]) => shownOption(name, spec).length)) + 2;
  const lines = (entries: typeof taken): string[] =>
    entries.flatMap(([name, spec]) => {
      const help = (commands.map((command) => spec.helpIn?.[command]).find((text) => text !== undefined) ?? spec.help).split("\n");
      return help.map((line, index) => `  ${(index === 0 ? shownOption(name, spec) : "").padEnd(width)}${line}`);
    });
  const shared = taken.filter(([, spec]) => commands.every((command) => spec.commands.includes(command)));
  const groups = commands.map((command) => ({ command, entries: taken.filter(([, spec]) => !shared.some(([, other]) => other === spec) && spec.commands.includes(command)) }));
  return [...lines(shared), ...groups.filter((group) => group.entries.length > 0).flatMap((group) => [`${group.command} only:`, ...lines(group.entries)])].join("\n") + "\n";
}

/** The options that change the image, as every command applies them. */
export interface ImageConfOptions {
  readonly python: PythonVersion;
  readonly generation: Generation | undefined;
  readonly repoTag: string | undefined;
}

/** The conf at `path`, read and checked under --python, with --generation and -t applied (throws ConfError). */
export function readImageConf(path: string, { python, generation, repoTag }: ImageConfOptions): ImageConf {
  return validateConf(readConfFile(path, python), path, { generation, repoTag, python });
}
