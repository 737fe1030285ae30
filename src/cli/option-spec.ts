/**
 * What an option of the options table (option-table.ts) is: the commands,
 * the usage error, an option's spec, and the builders the table is written
 * with (a value, a repeatable value, a flag, a number >= 0).
 */
/** The commands: "image" is the main one (`stream-layered-image [options] CONF`), the others are the word after the program's name. */
export const COMMANDS = ["image", "digest", "verify", "diff", "push", "oci"] as const;
export type Command = (typeof COMMANDS)[number];

/** A usage error: one line on stderr (the caller adds "stream-layered-image: "), exit 2. */
export class UsageError extends Error {}

/** What parseArgs gives for an option: a string, true for a flag, a list for a repeatable one, undefined when absent. */
export type Given = string | boolean | string[] | undefined;

export interface OptionSpec<T> {
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
export function valueOption<T = string | undefined>(spec: Common & { readonly value: string; readonly parse?: (given: string | undefined, command: Command) => T }): OptionSpec<T> {
  const parse = spec.parse ?? ((given: string | undefined) => given as T);
  return { ...spec, type: "string", parse: (given, command) => parse(given as string | undefined, command) };
}

/** A repeatable option with a value: every value given, in order. */
export function listOption(spec: Common & { readonly value: string }): OptionSpec<readonly string[]> {
  return { ...spec, type: "string", multiple: true, parse: (given) => (given as string[] | undefined) ?? [] };
}

/** A flag: true when given. */
export function flagOption(spec: Common & { readonly excludes?: string }): OptionSpec<boolean> {
  return { ...spec, type: "boolean", parse: (given) => given === true };
}

/** A number >= 0 (whole, if `integer`), or undefined when absent (the default is the publisher's). */
export function nonNegative(name: string, integer: boolean) {
  return (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw new UsageError(`--${name} must be a ${integer ? "whole " : ""}number >= 0, not ${JSON.stringify(text)}`);
    }
    return value;
  };
}
