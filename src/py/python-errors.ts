/**
 * Errors that mirror the Python exceptions the reference script would raise
 * while loading, dumping or repr-ing JSON values.  `pythonType` is the name
 * Python prints on the last line of its traceback, so a caller can reproduce
 * that line as `${err.pythonType}: ${err.message}`.
 */
export abstract class PythonError extends Error {
  abstract readonly pythonType: string;
}

/**
 * `json.JSONDecodeError`.  `pos` is a Python character offset: it counts code
 * points (an astral character is one), not UTF-16 units.  `lineno` / `colno`
 * are computed the way `JSONDecodeError.__init__` does (1-based; the column
 * counts from the last '\n' before `pos`).
 */
export class PythonJsonError extends PythonError {
  /** The bare message, e.g. "Expecting ',' delimiter". */
  readonly msg: string;
  readonly pos: number;
  readonly lineno: number;
  readonly colno: number;
  override readonly name = "PythonJsonError";
  readonly pythonType = "json.decoder.JSONDecodeError";

  constructor(msg: string, pos: number, lineno: number, colno: number) {
    super(`${msg}: line ${lineno} column ${colno} (char ${pos})`);
    this.msg = msg;
    this.pos = pos;
    this.lineno = lineno;
    this.colno = colno;
  }
}

/** `ValueError`, raised by int <-> str conversions beyond sys.get_int_max_str_digits(). */
export class PythonValueError extends PythonError {
  override readonly name = "PythonValueError";
  readonly pythonType = "ValueError";
}

/** `RecursionError`: nesting deeper than the interpreter tolerates. */
export class PythonRecursionError extends PythonError {
  override readonly name = "PythonRecursionError";
  readonly pythonType = "RecursionError";
}
