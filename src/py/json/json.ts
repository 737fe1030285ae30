/**
 * Python-compatible JSON: what the reference script's `json.load(f)` and
 * `json.dumps(obj, indent=4)` do, reproduced exactly.
 *
 *   parsePythonJson(text)        json.loads(text)       (json-decode.ts)
 *   dumpsPythonJson(value, 4)    json.dumps(value, indent=4) (json-encode.ts)
 *   pythonFloatRepr(x)           float.__repr__(x)       (py/number-repr.ts)
 */
export {
  parsePythonJson,
  REFERENCE_JSON_LOAD_MAX_DEPTH,
  type ParsePythonJsonOptions,
} from "./json-decode.ts";
export {
  dumpsPythonJson,
  encodeBasestringAscii,
  REFERENCE_JSON_DUMP_MAX_DEPTH,
  type DumpsPythonJsonOptions,
} from "./json-encode.ts";
export { DEFAULT_INT_MAX_STR_DIGITS, pythonFloatRepr, pythonIntRepr } from "../number-repr.ts";
export { PythonError, PythonJsonError, PythonRecursionError, PythonValueError } from "../python-errors.ts";
