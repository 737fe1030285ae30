/**
 * The values `datetime.fromisoformat` builds, and the range checks CPython's
 * constructors apply to them (`check_date_args`, `check_time_args`,
 * `new_timezone`), in CPython's order and with its messages.
 */
import { daysInMonth } from "./datetime-calendar.ts";
import { DateTimeRangeError, UtcOffsetRangeError } from "./datetime-errors.ts";
import { pyTimedeltaRepr } from "./datetime-repr.ts";

/**
 * A `datetime.timedelta` in CPython's normalized form:
 * 0 <= seconds < 86400, 0 <= microseconds < 1000000, days carries the sign.
 */
export interface PyTimedelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
}

/**
 * A `datetime.datetime`.  `utcoffset` null means naive (no tzinfo); otherwise
 * it is the offset of the fixed `datetime.timezone` CPython attaches (UTC is
 * the zero offset).
 */
export interface PyDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly fold: 0 | 1;
  readonly utcoffset: PyTimedelta | null;
}

const US_PER_DAY = 86_400_000_000;

/** `new_delta(0, 0, us, normalize=1)`: floor-divide into days/seconds/µs. */
export function timedeltaFromMicroseconds(totalUs: number): PyTimedelta {
  const days = Math.floor(totalUs / US_PER_DAY);
  const rest = totalUs - days * US_PER_DAY;
  const seconds = Math.floor(rest / 1_000_000);
  return { days, seconds, microseconds: rest - seconds * 1_000_000 };
}

export function timedeltaMicroseconds(td: PyTimedelta): bigint {
  return (BigInt(td.days) * 86_400n + BigInt(td.seconds)) * 1_000_000n + BigInt(td.microseconds);
}

/** `timezone(timedelta(...))`'s check: strictly between -24h and +24h. */
export function checkUtcOffset(td: PyTimedelta): PyTimedelta {
  if (
    (td.days === -1 && td.seconds === 0 && td.microseconds < 1) ||
    td.days < -1 ||
    td.days >= 1
  ) {
    throw new UtcOffsetRangeError(
      "offset must be a timedelta strictly between -timedelta(hours=24) and " +
        `timedelta(hours=24), not ${pyTimedeltaRepr(td.days, td.seconds, td.microseconds)}.`,
    );
  }
  return td;
}

/** The datetime constructor's argument checks, in CPython's order. */
export function checkedDateTime(fields: {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  fold?: 0 | 1;
  utcoffset: PyTimedelta | null;
}): PyDateTime {
  const { year, month, day, hour, minute, second, microsecond } = fields;
  if (year < 1 || year > 9999) throw new DateTimeRangeError(`year ${year} is out of range`);
  if (month < 1 || month > 12) throw new DateTimeRangeError("month must be in 1..12");
  if (day < 1 || day > daysInMonth(year, month)) {
    throw new DateTimeRangeError("day is out of range for month");
  }
  if (hour < 0 || hour > 23) throw new DateTimeRangeError("hour must be in 0..23");
  if (minute < 0 || minute > 59) throw new DateTimeRangeError("minute must be in 0..59");
  if (second < 0 || second > 59) throw new DateTimeRangeError("second must be in 0..59");
  if (microsecond < 0 || microsecond > 999_999) {
    throw new DateTimeRangeError("microsecond must be in 0..999999");
  }
  return { year, month, day, hour, minute, second, microsecond, fold: fields.fold ?? 0, utcoffset: fields.utcoffset };
}
