/**
 * src/py/datetime: `datetime.fromisoformat`, `isoformat()` and
 * `int(timestamp())` as CPython 3.8-3.13 compute them, on fixed cases whose
 * every expected value was printed by the CPython interpreters themselves
 * (test/support/gen_py_datetime_fixed.py), and the typed errors and "now".
 * The same under TZ settings: py-datetime-tz.test.ts; seeded differential
 * tests: py-datetime-differential.test.ts; local time alone:
 * py-datetime-localtime.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DateTimeRangeError, InvalidIsoFormatError, isoformat, parseCreated, timestampSeconds, UtcOffsetRangeError } from "../src/py/datetime/datetime.ts";
import type { PythonVersion } from "../src/py/version.ts";
import { ours, VERSIONS, zoneFor } from "./support/py-datetime.ts";

/**
 * [input, outcome under TZ=America/New_York]: one string when all versions
 * agree, [3.8-3.10, 3.11-3.13] when the two families differ, else one per
 * version 3.8 .. 3.13.  The rows are the first block
 * test/support/gen_py_datetime_fixed.py prints, pasted verbatim.
 */
const FIXED_ISO: readonly [string, string | string[]][] = [
  ["2020-01-01T12:34:56", "2020-01-01T12:34:56 | 1577900096"],
  ["2020-01-01", "2020-01-01T00:00:00 | 1577854800"],
  ["2020-01-01T12:34:56.123", "2020-01-01T12:34:56.123000 | 1577900096"],
  ["2020-01-01T12:34:56.123456+05:30", "2020-01-01T12:34:56.123456+05:30 | 1577862296"],
  ["2020-01-01 12:34:56+00:00", "2020-01-01T12:34:56+00:00 | 1577882096"],
  ["2020-01-01T12:34:56.000000-00:00", "2020-01-01T12:34:56+00:00 | 1577882096"],
  ["2020-01-01T12:34:56Z", ["error ValueError: Invalid isoformat string: '2020-01-01T12:34:56Z'", "2020-01-01T12:34:56+00:00 | 1577882096"]],
  ["20200101T123456", ["error ValueError: Invalid isoformat string: '20200101T123456'", "2020-01-01T12:34:56 | 1577900096"]],
  ["2020-W01-3T08:00", ["error ValueError: Invalid isoformat string: '2020-W01-3T08:00'", "2020-01-01T08:00:00 | 1577883600"]],
  ["2020W013", ["error ValueError: Invalid isoformat string: '2020W013'", "2020-01-01T00:00:00 | 1577854800"]],
  ["2020-01-01T12:34:56,5", ["error ValueError: Invalid isoformat string: '2020-01-01T12:34:56,5'", "2020-01-01T12:34:56.500000 | 1577900096"]],
  ["2020-01-01T12:34:56.1234567", ["error ValueError: Invalid isoformat string: '2020-01-01T12:34:56.1234567'", "2020-01-01T12:34:56.123456 | 1577900096"]],
  ["2020-01-01T12", "2020-01-01T12:00:00 | 1577898000"],
  ["2020-01-01T1234", ["error ValueError: Invalid isoformat string: '2020-01-01T1234'", "2020-01-01T12:34:00 | 1577900040"]],
  ["2020-01-01T12:34+0530", ["error ValueError: Invalid isoformat string: '2020-01-01T12:34+0530'", "2020-01-01T12:34:00+05:30 | 1577862240"]],
  ["2020-01-01T12:34:56:789", "2020-01-01T12:34:56.789000 | 1577900096"],
  ["2020-01-01T12000012", ["error ValueError: Invalid isoformat string: '2020-01-01T12000012'", "2020-01-01T12:00:00.120000 | 1577898000"]],
  ["2020-01-01T24:00:00", "error ValueError: hour must be in 0..23"],
  ["2020-13-01", "error ValueError: month must be in 1..12"],
  ["2020-04-31", "error ValueError: day is out of range for month"],
  ["0000-01-01", "error ValueError: year 0 is out of range"],
  ["2020-01-01T12:60", "error ValueError: minute must be in 0..59"],
  ["2020-01-01T12:00+24:00", "error ValueError: offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not datetime.timedelta(days=1)."],
  ["2020-01-01T12:00-00:00:00.5", ["error ValueError: Invalid isoformat string: '2020-01-01T12:00-00:00:00.5'", "2020-01-01T12:00:00+00:00 | 1577880000"]],
  ["2020-01-01T12:00+00:99", "2020-01-01T12:00:00+01:39 | 1577874060"],
  ["2020-001", "error ValueError: Invalid isoformat string: '2020-001'"],
  ["0000-W01-1", ["error ValueError: Invalid isoformat string: '0000-W01-1'", "error ValueError: Invalid isoformat string: '0000-W01-1'", "error ValueError: Invalid isoformat string: '0000-W01-1'", "error ValueError: month must be in 1..12", "error ValueError: month must be in 1..12", "error ValueError: Invalid isoformat string: '0000-W01-1'"]],
  ["2020-01-01\ud80012:00", "2020-01-01T12:00:00 | 1577898000"],
  ["2020-01-01\u00e912:00", "2020-01-01T12:00:00 | 1577898000"],
  ["2020-01-01T12:00\ud83e\udee8", ["error ValueError: Invalid isoformat string: '2020-01-01T12:00\\U0001fae8'", "error ValueError: Invalid isoformat string: '2020-01-01T12:00\\U0001fae8'", "error ValueError: Invalid isoformat string: '2020-01-01T12:00\\U0001fae8'", "error ValueError: Invalid isoformat string: '2020-01-01T12:00\\U0001fae8'", "error ValueError: Invalid isoformat string: '2020-01-01T12:00🫨'", "error ValueError: Invalid isoformat string: '2020-01-01T12:00🫨'"]],
  ["it's 'now'", "error ValueError: Invalid isoformat string: \"it's 'now'\""],
  ["2021-03-14T02:30:00", "2021-03-14T02:30:00 | 1615707000"],
  ["2021-11-07T01:30:00", "2021-11-07T01:30:00 | 1636263000"],
  ["1883-11-18T12:03:57", "1883-11-18T12:03:57 | -2717650801"],
  ["2300-07-01T12:00:00", "2300-07-01T12:00:00 | 10429488000"],
  ["1969-12-31T23:59:59.500000", "1969-12-31T23:59:59.500000 | 17999"],
  ["1969-12-31T23:59:59.5+00:00", ["error ValueError: Invalid isoformat string: '1969-12-31T23:59:59.5+00:00'", "1969-12-31T23:59:59.500000+00:00 | 0"]],
  ["9999-12-31T23:59:59.999999+00:00", "9999-12-31T23:59:59.999999+00:00 | 253402300800"],
  ["9999-12-31T23:59:59", "9999-12-31T23:59:59 | 253402318799"],
  ["0001-01-01T00:00:00", "0001-01-01T00:00:00 | error ValueError: year 0 is out of range"],
  ["0001-01-01T05:00:00", "0001-01-01T05:00:00 | error ValueError: year 0 is out of range"],
  ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+00:00 | -62135596800"],
];

function expectedFor(outcome: string | string[], version: PythonVersion): string {
  if (typeof outcome === "string") return outcome;
  const index = VERSIONS.indexOf(version);
  return outcome.length === 2 ? outcome[index < 3 ? 0 : 1]! : outcome[index]!;
}

test("fixed cases: fromisoformat + isoformat + int(timestamp()) as CPython printed them (TZ=America/New_York)", () => {
  const zone = zoneFor("America/New_York");
  for (const [input, outcome] of FIXED_ISO) {
    for (const version of VERSIONS) {
      assert.equal(ours(input, version, zone).replace(/ \| fold=1: .*$/, ""), expectedFor(outcome, version), `${version} ${JSON.stringify(input)}`);
    }
  }
});

test("errors are typed and carry CPython's message", () => {
  assert.throws(() => parseCreated("2020-01-01T12:34:56Z", "3.8"), (e: unknown) => e instanceof InvalidIsoFormatError && e.input === "2020-01-01T12:34:56Z" && e.pythonType === "ValueError");
  assert.throws(() => parseCreated("2020-13-01", "3.13"), DateTimeRangeError);
  assert.throws(() => parseCreated("2020-01-01T00:00+24:00", "3.10"), UtcOffsetRangeError);
  const naiveYear1 = parseCreated("0001-01-01T00:00:00", "3.11");
  assert.throws(() => timestampSeconds(naiveYear1, zoneFor("America/New_York")), { name: "DateTimeRangeError", message: "year 0 is out of range" });
});

test('"now" is the current UTC time with microseconds, aware (+00:00)', () => {
  // Expected values printed by python3.13:
  //   e = datetime(1970, 1, 1, tzinfo=timezone.utc)
  //   for us in [1700000000123456, 1700000000000000, -1500000]:
  //       d = e + timedelta(microseconds=us); print(us, d.isoformat(), int(d.timestamp()))
  //   1700000000123456 2023-11-14T22:13:20.123456+00:00 1700000000
  //   1700000000000000 2023-11-14T22:13:20+00:00 1700000000
  //   -1500000 1969-12-31T23:59:58.500000+00:00 -1
  const fixed = parseCreated("now", "3.8", () => 1700000000123456n);
  assert.equal(isoformat(fixed), "2023-11-14T22:13:20.123456+00:00");
  assert.equal(timestampSeconds(fixed), 1700000000n);
  // A whole second prints without a fraction; before 1970 truncates toward zero.
  assert.equal(isoformat(parseCreated("now", "3.13", () => 1700000000000000n)), "2023-11-14T22:13:20+00:00");
  const early = parseCreated("now", "3.13", () => -1500000n);
  assert.equal(isoformat(early), "1969-12-31T23:59:58.500000+00:00");
  assert.equal(timestampSeconds(early), -1n);
  const before = BigInt(Date.now()) * 1000n;
  const live = parseCreated("now", "3.11");
  const after = BigInt(Date.now()) * 1000n + 1000n;
  const liveUs = timestampSeconds(live) * 1_000_000n + BigInt(live.microsecond);
  assert.ok(liveUs >= before - 1_000_000n && liveUs <= after, `now ${isoformat(live)} not within the wall clock`);
  assert.deepEqual(live.utcoffset, { days: 0, seconds: 0, microseconds: 0 });
});
