/**
 * Each command's parsing from the option table (option-table.ts):
 * parseCommandArgs (one parseArgs call knowing every option, so an option
 * of another command is named as such rather than unknown), the option
 * lines of each --help (optionHelp), the "did you mean" of an unknown
 * option (suggestOption), and the one-line usage errors.  readImageConf
 * applies the options that change the image (--python, --generation, -t)
 * to a conf, for every command alike.
 */
import { parseArgs } from "node:util";
import { validateConf, type ImageConf } from "../conf/validate.ts";
import { readConfFile } from "../conf/read.ts";
import type { Generation } from "../profile/generation.ts";
import type { PythonVersion } from "../profile/python.ts";
import { OPTIONS, UsageError, type Command, type Given, type OptionName, type OptionSpec, type OptionValues } from "./option-table.ts";

const ENTRIES = Object.entries(OPTIONS) as [OptionName, OptionSpec<unknown>][];

/** The operands each command takes, for its "expected ..." error; push takes more than one IMAGE-REF. */
const OPERANDS: Readonly<Record<Command, { readonly names: readonly string[]; readonly more?: boolean }>> = {
  image: { names: ["CONF"] },
  digest: { names: ["CONF"] },
  verify: { names: ["CONF", "IMAGE"] },
  diff: { names: ["IMAGE-A", "IMAGE-B"] },
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
