/**
 * Reading the conf: `json.load(open(path, "r"))` as the script does it
 * (UTF-8, universal newlines, Python's JSON rules), and ConfError, what
 * every conf stage throws.  What the keys must hold: validate.ts.
 */
import { readFileSync } from "node:fs";
import { parsePythonJson } from "../py/json/json.ts";
import { PythonJsonError } from "../py/python-errors.ts";
import { isPyDict, pyTypeName, type PyDict, type PyValue } from "../py/value.ts";
import type { PythonVersion } from "../py/version.ts";

/** The conf file is unreadable, not JSON, or lacks what the image needs. */
export class ConfError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConfError";
  }
}

/**
 * `json.load(open(path, "r"))`: UTF-8 text (invalid bytes are an error, a
 * BOM is kept and then rejected by json), parsed with Python's rules.
 */
export function parseConfText(text: string, source: string, python: PythonVersion): PyDict {
  let value: PyValue;
  try {
    // Text mode reads "\r\n" and "\r" as "\n" (universal newlines) before json sees the text.
    value = parsePythonJson(text.replace(/\r\n?/g, "\n"), { profile: python });
  } catch (error) {
    if (error instanceof PythonJsonError) throw new ConfError(`${source}: invalid JSON: ${error.message}`, { cause: error });
    throw new ConfError(`${source}: cannot parse: ${(error as Error).message}`, { cause: error });
  }
  if (!isPyDict(value)) throw new ConfError(`${source}: the conf must be a JSON object, not ${pyTypeName(value)}`);
  return value;
}

export function readConfFile(file: string, python: PythonVersion): PyDict {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfError(`Cannot read conf ${JSON.stringify(file)}: ${code}`, { cause: error });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new ConfError(`Cannot read conf ${JSON.stringify(file)}: it is not valid UTF-8`, { cause: error });
  }
  return parseConfText(text, file, python);
}
