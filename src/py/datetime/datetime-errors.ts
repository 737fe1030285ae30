/**
 * Errors raised where CPython's `datetime` raises.  Every `message` is the
 * exact text of the Python exception and `pythonType` its class, so a caller
 * can print `${pythonType}: ${message}` like a traceback's last line.
 */
import { PythonError } from "../python-errors.ts";

/** Base of the errors this module throws; all are Python ValueErrors. */
export class PyDateTimeError extends PythonError {
  readonly pythonType = "ValueError";
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** `ValueError: Invalid isoformat string: '...'` from `datetime.fromisoformat`. */
export class InvalidIsoFormatError extends PyDateTimeError {
  /** The rejected text. */
  readonly input: string;
  constructor(
    input: string,
    /** Python's repr() of it, as the message shows it. */
    inputRepr: string,
  ) {
    super(`Invalid isoformat string: ${inputRepr}`);
    this.input = input;
  }
}

/**
 * A field outside its range, raised by the datetime constructor checks
 * ("year 0 is out of range", "month must be in 1..12", "day is out of range
 * for month", "hour must be in 0..23", ...) and by `timestamp()` when the
 * local-time search steps outside years 1..9999 ("year 10000 is out of
 * range").
 */
export class DateTimeRangeError extends PyDateTimeError {}

/** The `timezone(offset)` check: |offset| must be under 24 hours. */
export class UtcOffsetRangeError extends PyDateTimeError {}
