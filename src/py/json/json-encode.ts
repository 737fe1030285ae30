/**
 * `json.dumps(value, indent=N)` with otherwise default arguments
 * (ensure_ascii=True, allow_nan=True, sort_keys=False), byte for byte.
 *
 * Containers are walked with an explicit stack, so deep nesting cannot
 * overflow the JavaScript call stack; output is collected as chunks and
 * joined once.
 */
import { DEFAULT_INT_MAX_STR_DIGITS, pythonFloatRepr, pythonIntRepr } from "../number-repr.ts";
import { PythonRecursionError } from "../python-errors.ts";
import type { PyValue } from "../value.ts";
import type { PythonVersion } from "../version.ts";

/**
 * Deepest container nesting json.dumps(image_json, indent=4) survives inside
 * the reference script, where it binds before json.load's limit (the
 * image's `config` sits one level deeper than in the conf).  Only 3.12 is
 * affected: its pure-Python encoder recurses through generators that count
 * against the Python recursion limit while its C scanner has a larger budget;
 * elsewhere the load limit always trips first.  Measured with
 * test/support/measure_json_depth_limits.py.
 */
export const REFERENCE_JSON_DUMP_MAX_DEPTH: Readonly<Record<PythonVersion, number>> = {
  "3.8": Infinity,
  "3.9": Infinity,
  "3.10": Infinity,
  "3.11": Infinity,
  "3.12": 995,
  "3.13": Infinity,
};

export interface DumpsPythonJsonOptions {
  /** Interpreter whose messages to reproduce (default "3.11"). */
  profile?: PythonVersion;
  /** Deepest nesting encoded (default REFERENCE_JSON_DUMP_MAX_DEPTH[profile]). */
  maxDepth?: number;
  /** sys.get_int_max_str_digits() (default 4300; 0 = unlimited). */
  intMaxStrDigits?: number;
}

/** The two-character escapes of ESCAPE_DCT; every other char is \uXXXX. */
const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x22, '\\"'],
  [0x5c, "\\\\"],
  [0x0a, "\\n"],
  [0x0d, "\\r"],
  [0x09, "\\t"],
  [0x08, "\\b"],
  [0x0c, "\\f"],
]);

/**
 * `encode_basestring_ascii`: the str as a quoted JSON string in pure ASCII.
 * Only 0x20..0x7E (minus `"` and `\`) pass through; everything else is
 * escaped, \uXXXX in lowercase hex.  Python splits astral characters into a
 * surrogate pair and escapes lone surrogates as themselves, which is exactly
 * escaping each UTF-16 unit of the JS string.
 */
export function encodeBasestringAscii(s: string): string {
  const out: string[] = ['"'];
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    if (i > runStart) out.push(s.slice(runStart, i));
    out.push(SHORT_ESCAPES.get(c) ?? `\\u${c.toString(16).padStart(4, "0")}`);
    runStart = i + 1;
  }
  if (s.length > runStart) out.push(s.slice(runStart));
  out.push('"');
  return out.join("");
}

/** floatstr(): float.__repr__ except for the non-finite values. */
function floatStr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return pythonFloatRepr(x);
}

type Frame = { close: string; entries: Iterator<[string | null, PyValue]> };

function* listEntries(list: readonly PyValue[]): Iterator<[null, PyValue]> {
  for (const item of list) yield [null, item];
}

/**
 * `json.dumps(value, indent=indent)`.  With an indent, items go on their own
 * lines ("\n" + indent * level), separated by "," (no trailing space) and
 * keys by ": "; empty containers stay "[]" / "{}".  A negative indent acts
 * like 0 (' ' * n is '' for n <= 0).
 */
export function dumpsPythonJson(value: PyValue, indent = 4, options: DumpsPythonJsonOptions = {}): string {
  const profile = options.profile ?? "3.11";
  const maxDepth = options.maxDepth ?? REFERENCE_JSON_DUMP_MAX_DEPTH[profile];
  const intMaxStrDigits = options.intMaxStrDigits ?? DEFAULT_INT_MAX_STR_DIGITS;
  const unit = " ".repeat(Math.max(0, Math.trunc(indent)));
  const out: string[] = [];
  const stack: Frame[] = [];

  // Emits a scalar or an empty container, or opens a container frame.
  const emit = (item: PyValue): void => {
    if (item === null) out.push("null");
    else if (item === true) out.push("true");
    else if (item === false) out.push("false");
    else if (typeof item === "string") out.push(encodeBasestringAscii(item));
    else if (typeof item === "bigint") out.push(pythonIntRepr(item, profile, intMaxStrDigits));
    else if (typeof item === "number") out.push(floatStr(item));
    else {
      // Every container, empty ones included, is one more level of recursion
      // (a generator frame in the Python encoder, a C call in 3.13's).
      if (stack.length + 1 > maxDepth) {
        throw new PythonRecursionError(
          profile === "3.13" ? "maximum recursion depth exceeded while encoding a JSON object" : "maximum recursion depth exceeded",
        );
      }
      const isList = Array.isArray(item);
      const size = isList ? item.length : item.size;
      if (size === 0) {
        out.push(isList ? "[]" : "{}");
        return;
      }
      out.push(isList ? "[" : "{");
      stack.push({ close: isList ? "]" : "}", entries: isList ? listEntries(item) : item.entries() });
    }
  };

  emit(value);
  let first = true;
  for (let top = stack[stack.length - 1]; top !== undefined; top = stack[stack.length - 1]) {
    const step = top.entries.next();
    if (step.done === true) {
      stack.pop();
      out.push("\n", unit.repeat(stack.length), top.close);
      first = false;
      continue;
    }
    const [key, item] = step.value;
    out.push(first ? "\n" : ",\n", unit.repeat(stack.length));
    first = false;
    if (key !== null) out.push(encodeBasestringAscii(key), ": ");
    const depth = stack.length;
    emit(item);
    // A newly opened container starts with its first item.
    if (stack.length > depth) first = true;
  }
  return out.join("");
}
