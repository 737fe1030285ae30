/**
 * src/py/datetime: `datetime.fromisoformat`, `isoformat()` and
 * `int(timestamp())` as CPython 3.8-3.13 compute them.
 *
 * (a) Fixed cases: every expected value below was printed by the CPython
 *     interpreters themselves (the generating program is quoted above the
 *     tables).
 * (b) Seeded differential tests, one python process per (version, TZ):
 *     thousands of generated strings (valid, near-valid, invalid, DST
 *     gap/fold wall times, range edges) must give the same acceptance,
 *     error message, isoformat() and int(timestamp()) (fold 0 and 1);
 *     int/int true division must round the same.
 * (c) Local time alone: our glibc emulation against time.localtime() for
 *     ~90 TZ settings, crafted TZif files included.
 * Without interpreters the differential tests skip, loudly.
 */
import assert from "node:assert/strict";
import { runPython } from "./support/python.js";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  DateTimeRangeError,
  InvalidIsoFormatError,
  type LocalTimeZone,
  isoformat,
  parseCreated,
  type PyDateTime,
  PyDateTimeError,
  resolveLocalTimeZone,
  timestampSeconds,
  UtcOffsetRangeError,
} from "../src/py/datetime.js";
import { trueDivide } from "../src/py/timestamp.js";
import type { PythonVersion } from "../src/py/version.js";
import { pythonFor } from "./support/reference.js";
import { isRequired, missingMessage, skipOrFail } from "./support/requirements.js";

const VERSIONS: readonly PythonVersion[] = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];

/** What one conversion gives: the error line, or isoformat + timestamp (or its error). */
type Outcome = string;

function describeError(e: unknown): string {
  if (e instanceof PyDateTimeError) return `${e.pythonType}: ${e.message}`;
  throw e;
}

/** Our side, in the same shape as PY_DRIVER prints. */
function ours(value: string, python: PythonVersion, zone: LocalTimeZone): Outcome {
  let dt: PyDateTime;
  try {
    dt = parseCreated(value, python);
  } catch (e) {
    return `error ${describeError(e)}`;
  }
  const ts = (d: PyDateTime): string => {
    try {
      return String(timestampSeconds(d, zone));
    } catch (e) {
      return `error ${describeError(e)}`;
    }
  };
  // Naive times also with fold=1 (fromisoformat itself always gives fold=0).
  const fold1 = dt.utcoffset === null ? ` | fold=1: ${ts({ ...dt, fold: 1 })}` : "";
  return `${isoformat(dt)} | ${ts(dt)}${fold1}`;
}

/** Reads a JSON list of str on stdin, prints one JSON list of outcomes. */
const PY_DRIVER = String.raw`
import sys, json
from datetime import datetime
out = []
for s in json.loads(sys.stdin.buffer.read()):
    try:
        d = datetime.fromisoformat(s)
    except Exception as e:
        out.append("error %s: %s" % (type(e).__name__, e))
        continue
    def ts(d):
        try:
            return str(int(d.timestamp()))
        except Exception as e:
            return "error %s: %s" % (type(e).__name__, e)
    fold1 = " | fold=1: " + ts(d.replace(fold=1)) if d.tzinfo is None else ""
    out.append("%s | %s%s" % (d.isoformat(), ts(d), fold1))
sys.stdout.write(json.dumps(out))
`;

/** Runs PY_DRIVER-style code in a fresh interpreter with the given TZ. */
async function runPythonJson<T>(python: string, code: string, tz: string | undefined, input: unknown, extraEnv: Record<string, string> = {}): Promise<T> {
  const env = { ...process.env, ...extraEnv };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  return JSON.parse(await runPython(python, code, JSON.stringify(input), env)) as T;
}

/** Runs `jobs` at most `limit` at a time (the interpreters work while we compute). */
async function pool<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

function zoneFor(tz: string | undefined): LocalTimeZone {
  return resolveLocalTimeZone({ TZ: tz });
}

// ---------------------------------------------------------------------------
// (a) Fixed cases.
// ---------------------------------------------------------------------------

/*
 * FIXED_ISO and FIXED_TZ are the output of this program (run from anywhere
 * with python3 >= 3.8; it calls the six pyenv interpreters), pasted verbatim:
 *
 * import json, os, subprocess
 * VERSIONS = {"3.8": "3.8.18", "3.9": "3.9.18", "3.10": "3.10.13", "3.11": "3.11.7", "3.12": "3.12.1", "3.13": "3.13.0"}
 * DRIVER = r'''
 * import sys, json
 * from datetime import datetime
 * out = []
 * for s in json.loads(sys.stdin.read()):
 *     try:
 *         d = datetime.fromisoformat(s)
 *     except Exception as e:
 *         out.append("error %s: %s" % (type(e).__name__, e))
 *         continue
 *     try:
 *         ts = str(int(d.timestamp()))
 *     except Exception as e:
 *         ts = "error %s: %s" % (type(e).__name__, e)
 *     out.append("%s | %s" % (d.isoformat(), ts))
 * print(json.dumps(out))
 * '''
 * INPUTS = [
 *     "2020-01-01T12:34:56", "2020-01-01", "2020-01-01T12:34:56.123", "2020-01-01T12:34:56.123456+05:30",
 *     "2020-01-01 12:34:56+00:00", "2020-01-01T12:34:56.000000-00:00", "2020-01-01T12:34:56Z",
 *     "20200101T123456", "2020-W01-3T08:00", "2020W013", "2020-01-01T12:34:56,5", "2020-01-01T12:34:56.1234567",
 *     "2020-01-01T12", "2020-01-01T1234", "2020-01-01T12:34+0530", "2020-01-01T12:34:56:789",
 *     "2020-01-01T12000012", "2020-01-01T24:00:00", "2020-13-01", "2020-04-31", "0000-01-01", "2020-01-01T12:60",
 *     "2020-01-01T12:00+24:00", "2020-01-01T12:00-00:00:00.5", "2020-01-01T12:00+00:99", "2020-001", "0000-W01-1",
 *     "2020-01-01\ud80012:00", "2020-01-01\u00e912:00", "2020-01-01T12:00\U0001fae8", "it's 'now'",
 *     "2021-03-14T02:30:00", "2021-11-07T01:30:00", "1883-11-18T12:03:57", "2300-07-01T12:00:00",
 *     "1969-12-31T23:59:59.500000", "1969-12-31T23:59:59.5+00:00", "9999-12-31T23:59:59.999999+00:00",
 *     "9999-12-31T23:59:59", "0001-01-01T00:00:00", "0001-01-01T05:00:00", "0001-01-01T00:00:00+00:00",
 * ]
 * rows = {}
 * for v, full in VERSIONS.items():
 *     py = "/root/.pyenv/versions/%s/bin/python3" % full
 *     env = dict(os.environ, TZ="America/New_York")
 *     out = subprocess.run([py, "-c", DRIVER], input=json.dumps(INPUTS), capture_output=True, text=True, env=env, check=True).stdout
 *     for s, o in zip(INPUTS, json.loads(out)):
 *         rows.setdefault(s, []).append(o)
 * for s, outs in rows.items():
 *     if len(set(outs)) == 1:
 *         val = outs[0]  # same in every version
 *     elif len(set(outs[:3])) == 1 and len(set(outs[3:])) == 1:
 *         val = [outs[0], outs[3]]  # [3.8-3.10, 3.11-3.13]
 *     else:
 *         val = outs  # one per version, 3.8 .. 3.13
 *     val = json.dumps(val, ensure_ascii=False)
 *     print("  [%s, %s]," % (json.dumps(s), val))
 *
 * # Naive wall times under various TZ settings (local time is the C library's,
 * # the same for every version; run with 3.13).
 * ZONES = [None, "", "UTC", "America/New_York", ":Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia",
 *          "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "AAA3BBB", "NZST-12NZDT,M9.5.0,M4.1.0/3", "Foo/Bar",
 *          "right/Europe/Paris"]
 * WALL = ["1960-07-01T12:00:00", "2021-07-01T12:00:00", "2021-10-03T02:15:00", "2011-12-30T12:00:00",
 *         "2040-07-01T12:00:00", "2300-01-15T12:00:00"]
 * py = "/root/.pyenv/versions/3.13.0/bin/python3"
 * print()
 * for tz in ZONES:
 *     env = dict(os.environ)
 *     env.pop("TZ", None)
 *     if tz is not None:
 *         env["TZ"] = tz
 *     out = subprocess.run([py, "-c", DRIVER], input=json.dumps(WALL), capture_output=True, text=True, env=env, check=True).stdout
 *     stamps = [o.split(" | ")[1] for o in json.loads(out)]
 *     print("  [%s, [%s]]," % (json.dumps(tz) if tz is not None else "undefined", ", ".join(stamps)))
 */

/**
 * [input, outcome under TZ=America/New_York]: one string when all versions
 * agree, [3.8-3.10, 3.11-3.13] when the two families differ, else one per
 * version 3.8 .. 3.13.
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

/** [TZ (undefined = unset), int(timestamp()) of each FIXED_TZ_WALL time]. */
const FIXED_TZ_WALL = ["1960-07-01T12:00:00", "2021-07-01T12:00:00", "2021-10-03T02:15:00", "2011-12-30T12:00:00", "2040-07-01T12:00:00", "2300-01-15T12:00:00"];
const FIXED_TZ: readonly [string | undefined, number[]][] = [
  [undefined, [-299851200, 1625140800, 1633227300, 1325246400, 2224756800, 10415044800]],
  ["", [-299851200, 1625140800, 1633227300, 1325246400, 2224756800, 10415044800]],
  ["UTC", [-299851200, 1625140800, 1633227300, 1325246400, 2224756800, 10415044800]],
  ["America/New_York", [-299836800, 1625155200, 1633241700, 1325264400, 2224771200, 10415062800]],
  [":Europe/Berlin", [-299854800, 1625133600, 1633220100, 1325242800, 2224749600, 10415041200]],
  ["Australia/Lord_Howe", [-299887200, 1625103000, 1633189500, 1325206800, 2224719000, 10415005200]],
  ["Pacific/Apia", [-299811600, 1625094000, 1633180500, 1325282400, 2224710000, 10414998000]],
  ["EST5EDT,M3.2.0,M11.1.0", [-299833200, 1625155200, 1633241700, 1325264400, 2224771200, 10415062800]],
  ["<+0530>-5:30", [-299871000, 1625121000, 1633207500, 1325226600, 2224737000, 10415025000]],
  ["AAA3BBB", [-299844000, 1625148000, 1633234500, 1325257200, 2224771200, 10415062800]],
  ["NZST-12NZDT,M9.5.0,M4.1.0/3", [-299898000, 1625097600, 1633180500, 1325199600, 2224713600, 10414998000]],
  ["Foo/Bar", [-299851200, 1625140800, 1633227300, 1325246400, 2224756800, 10415044800]],
  ["right/Europe/Paris", [-299854800, 1625133627, 1633220127, 1325242824, 2224749627, 10415037627]],
];

/**
 * FIXED_TZ was printed on a machine whose /etc/localtime is UTC (and with
 * tzdata 2025b): the "TZ unset" row holds where /etc/localtime is UTC.  Its
 * test runs in a child process with TZ unset; on a machine whose
 * /etc/localtime is another zone, in a private mount namespace with UTC's
 * zone file bound over /etc/localtime (root and unshare).
 */
const UTC_ZONE_FILE = "/usr/share/zoneinfo/Etc/UTC";
const ETC_LOCALTIME = "/etc/localtime";

/** Whether glibc reads UTC with TZ unset: /etc/localtime holds UTC's zone, or is absent. */
function etcLocaltimeIsUtc(): boolean {
  if (!existsSync(ETC_LOCALTIME)) return true;
  try {
    return readFileSync(ETC_LOCALTIME).equals(readFileSync(UTC_ZONE_FILE));
  } catch {
    return false;
  }
}

/** Run with TZ unset: each wall time's stamp in the zone resolved explicitly, and in the process's zone. */
const TZ_UNSET_CHILD = `
const { parseCreated, resolveLocalTimeZone, timestampSeconds } = await import(${JSON.stringify(new URL("../src/py/datetime.js", import.meta.url).href)});
const walls = JSON.parse(process.argv[1]);
const zone = resolveLocalTimeZone({ TZ: process.env.TZ, TZDIR: process.env.TZDIR });
process.stdout.write(JSON.stringify({
  tz: process.env.TZ ?? null,
  explicit: walls.map((wall) => String(timestampSeconds(parseCreated(wall, "3.13"), zone))),
  process: walls.map((wall) => String(timestampSeconds(parseCreated(wall, "3.8")))),
}));
`;

/**
 * The stamps of `walls` computed in a child process with TZ unset and
 * /etc/localtime UTC, or why that cannot be arranged here.
 */
function stampsWithTzUnset(walls: readonly string[]): { explicit: string[]; process: string[] } | { unavailable: string } {
  const env = { ...process.env };
  delete env.TZ;
  const child = [process.execPath, "--input-type=module", "-e", TZ_UNSET_CHILD, JSON.stringify(walls)];
  let command = child;
  if (!etcLocaltimeIsUtc()) {
    if (process.getuid?.() !== 0) return { unavailable: `${ETC_LOCALTIME} is not UTC here, and binding UTC's zone file over it needs root` };
    // (A symlinked /etc/localtime: its target is what gets UTC's bytes, in the namespace only.)
    command = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", UTC_ZONE_FILE, ETC_LOCALTIME, ...child];
  }
  const result = spawnSync(command[0]!, command.slice(1), { env, encoding: "utf8" });
  if (result.error !== undefined) return { unavailable: `cannot run ${command[0]}: ${result.error.message}` };
  assert.equal(result.status, 0, result.stderr);
  const out = JSON.parse(result.stdout) as { tz: string | null; explicit: string[]; process: string[] };
  assert.equal(out.tz, null, "TZ is unset in the child");
  return out;
}

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

test("fixed cases: naive times under TZ spellings (zone files, POSIX strings, unknown names, leap seconds)", () => {
  // TZ unset: its own test below.
  for (const [tz, stamps] of FIXED_TZ.filter(([tz]) => tz !== undefined)) {
    const zone = zoneFor(tz);
    FIXED_TZ_WALL.forEach((wall, i) => {
      const dt = parseCreated(wall, "3.13");
      assert.equal(timestampSeconds(dt, zone), BigInt(stamps[i]!), `TZ=${tz} ${wall}`);
    });
  }
});

test("without an explicit zone, naive times are read in the process's TZ", () => {
  const saved = process.env.TZ;
  try {
    // TZ unset: its own test below.
    for (const [tz, stamps] of FIXED_TZ.filter(([tz]) => tz !== undefined)) {
      process.env.TZ = tz;
      assert.equal(timestampSeconds(parseCreated(FIXED_TZ_WALL[1]!, "3.8")), BigInt(stamps[1]!), `TZ=${tz}`);
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test("TZ unset: naive times are read in /etc/localtime's zone, explicitly and as the process's zone (a child process, /etc/localtime UTC)", (t) => {
  const stamps = FIXED_TZ.find(([tz]) => tz === undefined)![1].map(String);
  const seen = stampsWithTzUnset(FIXED_TZ_WALL);
  if ("unavailable" in seen) return skipOrFail(t, "privilege", `the TZ-unset row: ${seen.unavailable}`);
  if (!etcLocaltimeIsUtc()) t.diagnostic(`${ETC_LOCALTIME} is not UTC here: run with UTC's zone file bound over it`);
  assert.deepEqual(seen.explicit, stamps, "resolveLocalTimeZone({ TZ: undefined })");
  assert.deepEqual(seen.process, stamps, "timestampSeconds without a zone, TZ unset");
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

// ---------------------------------------------------------------------------
// (b) Differential test.
// ---------------------------------------------------------------------------

/** mulberry32: small, seedable, good enough to spread test inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly rand: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.rand() < p;
  }
  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
}

const pad = (n: number, w: number): string => String(n).padStart(w, "0");

function randomYear(g: Gen): number {
  return g.pick([
    () => g.int(1, 9999),
    () => g.int(1960, 2050),
    () => g.pick([1, 2, 3, 4, 99, 100, 400, 1000, 1582, 1900, 1969, 1970, 2000, 2037, 2038, 2242, 2243, 9998, 9999]),
    () => g.int(2038, 2400),
  ])();
}

function daysIn(y: number, m: number): number {
  return [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** What isoformat() prints, for random values: valid in every version. */
function printed(g: Gen): string {
  const y = randomYear(g);
  const mo = g.int(1, 12);
  const d = g.chance(0.2) ? daysIn(y, mo) : g.int(1, daysIn(y, mo));
  let s = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}`;
  if (g.chance(0.1)) return s;
  s += g.pick(["T", "T", " ", "t", "_", "é", "€", "😀", "\ud800", "\udfff", "\u0000", "W", "-", "+", "1", ":"]);
  s += `${pad(g.int(0, 23), 2)}`;
  if (g.chance(0.9)) s += `:${pad(g.int(0, 59), 2)}`;
  if (g.chance(0.8)) s += `:${pad(g.int(0, 59), 2)}`;
  if (g.chance(0.5)) s += "." + (g.chance(0.3) ? g.digits(3) : g.pick(["999999", "000001", "500000", "999990", g.digits(6)]));
  if (g.chance(0.5)) {
    const sign = g.pick(["+", "-"]);
    s += `${sign}${pad(g.int(0, 23), 2)}:${pad(g.pick([0, 0, 30, 45, g.int(0, 59)]), 2)}`;
    if (g.chance(0.2)) s += `:${pad(g.int(0, 59), 2)}`;
    if (g.chance(0.1)) s += `:${pad(g.int(0, 59), 2)}.${g.digits(6)}`;
  }
  return s;
}

/** ISO 8601 spellings 3.11+ accept (and 3.8-3.10 mostly reject). */
function modern(g: Gen): string {
  const y = randomYear(g);
  const basic = g.chance(0.4);
  let s = pad(y, 4);
  if (g.chance(0.25)) {
    const w = g.pick([1, 2, 52, 53, 0, 54, g.int(1, 53)]);
    s += `${basic ? "" : "-"}W${pad(w, 2)}`;
    if (g.chance(0.7)) s += `${basic ? "" : "-"}${g.int(0, 8)}`;
  } else {
    const mo = g.int(1, 12);
    s += basic ? `${pad(mo, 2)}${pad(g.int(1, daysIn(y, mo)), 2)}` : `-${pad(mo, 2)}-${pad(g.int(1, daysIn(y, mo)), 2)}`;
  }
  if (g.chance(0.15)) return s;
  s += g.pick(["T", "T", " ", "x", "é", "\ud800", "1"]);
  const tsep = g.chance(0.5) ? ":" : "";
  s += pad(g.int(0, 24), 2);
  if (g.chance(0.8)) s += tsep + pad(g.int(0, 60), 2);
  if (g.chance(0.6)) s += tsep + pad(g.int(0, 60), 2);
  if (g.chance(0.4)) s += g.pick([".", ","]) + g.digits(g.int(0, 10));
  const tz = g.int(0, 8);
  if (tz === 1) s += "Z";
  else if (tz >= 2) {
    s += g.pick(["+", "-"]) + pad(g.pick([0, 1, 5, 14, 23, 24, 99]), 2);
    const osep = g.chance(0.5) ? ":" : "";
    if (g.chance(0.8)) s += osep + pad(g.pick([0, 30, 59, 60, 99]), 2);
    if (g.chance(0.3)) s += osep + pad(g.int(0, 60), 2);
    if (g.chance(0.2)) s += g.pick([".", ","]) + g.digits(g.int(0, 8));
  }
  return s;
}

const MUTATION_ALPHABET = [..."0123456789-:.,TWZ+ tz\u0000é€😀", "\ud800", "\udc00"];

/** A few random edits of a good string: mostly near-valid, often invalid. */
function mutated(g: Gen, base: string): string {
  const chars = Array.from(base);
  const edits = g.int(1, 3);
  for (let i = 0; i < edits; i++) {
    const at = g.int(0, chars.length);
    const op = g.int(0, 3);
    if (op === 0) chars.splice(at, 0, g.pick(MUTATION_ALPHABET));
    else if (op === 1) chars.splice(at, 1);
    else if (op === 2) chars.splice(at, 1, g.pick(MUTATION_ALPHABET));
    else chars.splice(at, 0, chars[at] ?? "0");
  }
  return chars.join("");
}

/** Hand-picked edges: range limits, float rounding, parser corner cases. */
const EDGE_STRINGS: readonly string[] = [
  "0001-01-01", "0001-01-01T00:00:00", "0001-01-01T23:59:59", "0001-01-02T00:00:00", "0001-01-03T00:00:00",
  "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00-23:59:59.999999",
  "9999-12-31", "9999-12-31T23:59:59", "9999-12-31T23:59:59.999999", "9999-12-30T23:59:59", "9999-12-31T00:00:00",
  "9999-12-31T23:59:59.999999+00:00", "9999-12-31T23:59:59.999999-23:59", "9999-12-31T23:59:59.999990+00:00",
  "9999-12-31T23:59:59.999985+00:00", "9999-12-31T23:59:59.999970+00:00", "5000-06-15T12:00:00.999999+00:00",
  "1969-12-31T23:59:59.999999+00:00", "1969-12-31T23:59:59.5+00:00", "1969-12-31T23:59:59.500000",
  "1970-01-01T00:00:00.000001-00:00:00.000001", "1970-01-01T00:00:00+00:00:00.000001", "1970-01-01T00:00:00-00:00:01.000001",
  "2020-01-01T12:00+00:99", "2020-01-01T12:00+24:00", "2020-01-01T12:00-24:00", "2020-01-01T12:00+23:59:59.999999",
  "2020-13-01T00:00+24:00", "2020-00-10", "2020-02-30", "2019-02-29", "2020-02-29", "2100-02-29", "2000-02-29", "0000-01-01",
  "2020-01-01T24:00", "2020-01-01T24:00:00", "2020-12-31T24:00:00", "2020-01-01T12:60", "2020-01-01T12:00:60",
  "2020-01-01T12000012", "2020-01-01T12:00:00:123", "2020-01-01T12:00:00.", "2020-01-01T12:00:00.Z", "2020-01-01T12\u0000",
  "2020-01-01T12:00\u0000", "2020-01-01\u0000", "2020-01-01T", "2020-01-01 ", "2020-W01-1", "2020W011", "2020W01", "2020-W53",
  "2021-W53", "2026-W53-7", "0000-W01-1", "0000-W52-7", "0000-W53-1", "0001-W01-1", "0004-W53-7", "9999-W52-5", "9999-W52-6",
  "9999-W52-7", "9999-W53-1", "2020-001", "2020001", "2020-W01-", "2020-W01T12", "2020W01112:00", "2020-W01-1T12",
  "20200101T120000Z", "20200101T120000,5-0130", "2020-01-01T12:00:00Z00", "", "now ", "Now", "2020", "2020-01",
  "2020-01-01T12:00:00+00:00\u0000", "2020-01-01T12:00:00.123456789+05:30:15.999", "2020-01-01T12:00:00+05:30:15,5",
  "\ud8002020-01-01", "2020-01\ud800-01", "2020-01-\ud80001", "2020-01-01\ud800\ud800", "2020-01-01\udc0012:00",
  "1900-01-01T00:00:00", "1901-12-13T20:45:52", "1901-12-13T20:45:51", "2038-01-19T03:14:07", "2038-01-19T03:14:08",
  "1883-11-18T12:03:57", "1893-04-01T00:00:00", "1847-12-01T00:00:00", "1916-04-30T23:00:00", "1945-04-02T02:30:00",
  "2011-12-29T23:59:59", "2011-12-30T12:00:00", "2011-12-31T00:00:00",
];

/** Instants (epoch seconds) where `zone`'s offset changes within `year`. */
function offsetChanges(zone: LocalTimeZone, year: number): number[] {
  const start = Date.UTC(year, 0, 1) / 1000;
  const changes: number[] = [];
  let prev = zone.lookup(start - 86400).gmtoff;
  for (let day = 0; day <= 366; day++) {
    const t = start + day * 86400;
    const cur = zone.lookup(t).gmtoff;
    if (cur !== prev) {
      let lo = t - 86400;
      let hi = t;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zone.lookup(mid).gmtoff === prev) lo = mid;
        else hi = mid;
      }
      changes.push(hi);
      prev = cur;
    }
  }
  return changes;
}

function wallClock(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19);
}

/** Naive wall times just around, inside and after each offset change. */
function transitionWallTimes(zone: LocalTimeZone, years: readonly number[]): string[] {
  const out: string[] = [];
  for (const year of years) {
    for (const t of offsetChanges(zone, year)) {
      const before = zone.lookup(t - 1).gmtoff;
      const after = zone.lookup(t).gmtoff;
      for (const delta of [-3600, -1, 0, 1, 900, 1800, 3599, 3600, 5400]) {
        out.push(wallClock(t + before + delta), wallClock(t + after + delta));
      }
      out.push(`${wallClock(t + before - 1)}.999999`, `${wallClock(t + Math.min(before, after) + 60)}.5`);
    }
  }
  return out;
}

const TRANSITION_YEARS = [1883, 1916, 1918, 1945, 1968, 1970, 1971, 1996, 2011, 2021, 2037, 2038, 2039, 2100, 2242, 2243, 2500, 9998];

function generateCases(seed: number, count: number): string[] {
  const g = new Gen(prng(seed));
  const out: string[] = [...EDGE_STRINGS];
  while (out.length < count) {
    const kind = g.int(0, 9);
    if (kind < 3) out.push(printed(g));
    else if (kind < 6) out.push(modern(g));
    else out.push(mutated(g, g.chance(0.5) ? printed(g) : modern(g)));
  }
  return out;
}

interface DiffZone {
  tz: string | undefined;
  /** How many generated strings to run under this zone. */
  count: number;
}

const DIFF_ZONES: readonly DiffZone[] = [
  { tz: "UTC", count: 2500 },
  { tz: "America/New_York", count: 2500 },
  { tz: "Europe/Berlin", count: 2500 },
  { tz: "Australia/Lord_Howe", count: 2500 },
  { tz: "Europe/London", count: 400 },
  { tz: "Pacific/Apia", count: 400 },
  { tz: ":America/Sao_Paulo", count: 300 },
  { tz: "right/Europe/Paris", count: 300 },
  { tz: "EST5EDT,M3.2.0,M11.1.0", count: 300 },
  { tz: "<+0530>-5:30", count: 200 },
  { tz: "AAA3BBB", count: 300 },
  { tz: "NZST-12NZDT,M9.5.0,M4.1.0/3", count: 300 },
  { tz: "Foo/Bar", count: 200 },
  { tz: "", count: 100 },
  { tz: undefined, count: 100 },
];

test("differential: fromisoformat / isoformat / int(timestamp()) against CPython 3.8-3.13", async (t) => {
  const interpreters = VERSIONS.map((v) => [v, pythonFor(v)] as const);
  const missing = interpreters.filter(([, p]) => p === undefined).map(([v]) => v);
  if (missing.length === VERSIONS.length) return skipOrFail(t, "reference", "differential datetime test: no python interpreter found (looked for CPython 3.8-3.13)", true);
  if (missing.length > 0 && isRequired("reference")) assert.fail(missingMessage("reference", `differential datetime test: no interpreter for ${missing.join(", ")}`));
  if (missing.length > 0) t.diagnostic(`differential datetime test: no interpreter for ${missing.join(", ")}; those versions are NOT checked`);
  const failures: string[] = [];
  let compared = 0;
  const tally = new Map<string, number>();
  const jobs: (() => Promise<void>)[] = [];
  for (const { tz, count } of DIFF_ZONES) {
    const zone = zoneFor(tz);
    const values = [...generateCases(0x5eed + count, count), ...transitionWallTimes(zone, TRANSITION_YEARS)];
    for (const [version, python] of interpreters) {
      if (python === undefined) continue;
      jobs.push(async () => {
        const expected = await runPythonJson<Outcome[]>(python, PY_DRIVER, tz, values);
        values.forEach((value, i) => {
          compared++;
          const kind = /^error ValueError: Invalid/.test(expected[i] ?? "") ? "invalid" : /^error/.test(expected[i] ?? "") ? "range error" : / \| error/.test(expected[i] ?? "") ? "timestamp error" : "accepted";
          tally.set(`${version} ${kind}`, (tally.get(`${version} ${kind}`) ?? 0) + 1);
          const got = ours(value, version, zone);
          if (got !== expected[i]) {
            failures.push(`${version} TZ=${tz ?? "(unset)"} ${JSON.stringify(value)}\n    python: ${expected[i]}\n    ours:   ${got}`);
          }
        });
      });
    }
  }
  await pool(jobs, availableParallelism() + 2);
  t.diagnostic(`compared ${compared} (version, TZ, string) triples over ${DIFF_ZONES.length} TZ settings`);
  t.diagnostic(`python outcomes: ${[...tally].sort().map(([k, n]) => `${k}: ${n}`).join(", ")}`);
  const byGroup = new Map<string, number>();
  for (const f of failures) {
    const group = f.slice(0, f.indexOf(" \""));
    byGroup.set(group, (byGroup.get(group) ?? 0) + 1);
  }
  const summary = [...byGroup].map(([k, n]) => `${k}: ${n}`).join("; ");
  assert.equal(failures.length, 0, `${failures.length} mismatches (${summary}):\n${failures.slice(0, 40).join("\n")}`);
});


test("differential: int/int true division (timedelta.total_seconds) rounds like CPython", async (t) => {
  const python = VERSIONS.map(pythonFor).find((p) => p !== undefined);
  if (python === undefined) return skipOrFail(t, "reference", "differential true-division test: no python interpreter found (looked for CPython 3.8-3.13)", true);
  // Microsecond counts whose quotient lies within a few µs of a rounding
  // midpoint between two doubles, at the magnitudes of years 2242..9999.
  const g = new Gen(prng(0xd1f));
  const values: bigint[] = [];
  for (let i = 0; i < 4000; i++) {
    const e = g.int(33, 38);
    const x = (1 + g.rand()) * 2 ** e;
    const n = BigInt(Math.round((x + 2 ** (e - 53)) * 1e6)) + BigInt(g.int(-2, 2));
    values.push(g.chance(0.5) ? -n : n);
  }
  const expected = await runPythonJson<string[]>(python, "import sys, json\nsys.stdout.write(json.dumps([repr(int(x) / 10**6) for x in json.loads(sys.stdin.read())]))", undefined, values.map(String));
  values.forEach((n, i) => assert.equal(trueDivide(n, 1_000_000n), Number(expected[i]), `${n} / 10**6`));
});

// ---------------------------------------------------------------------------
// (c) Local time alone: our glibc emulation against time.localtime() for
//     many TZ spellings (zone files, POSIX strings well- and ill-formed,
//     crafted TZif files) at instants spread over years 1..9999.
// ---------------------------------------------------------------------------

/** Prints, per instant, [tm_gmtoff, wall clock (as if UTC) minus t]. */
const PY_LOCALTIME = String.raw`
import sys, json, time
def days(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
out = []
for t in json.loads(sys.stdin.buffer.read()):
    lt = time.localtime(t)
    wall = days(lt.tm_year, lt.tm_mon, lt.tm_mday) * 86400 + lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec
    out.append([lt.tm_gmtoff, wall - t])
sys.stdout.write(json.dumps(out))
`;

/** A TZif image (RFC 8536) with the given data in both blocks. */
function tzif(spec: {
  version?: "\0" | "2" | "3";
  transitions?: number[];
  idxs?: number[];
  types: [offset: number, isdst: 0 | 1][];
  isstd?: number[];
  isut?: number[];
  leaps?: [number, number][];
  footer?: string;
  /** Bytes after the 64-bit block, instead of "\n" + footer + "\n". */
  tail?: string;
}): Uint8Array {
  const version = spec.version ?? "2";
  const trans = spec.transitions ?? [];
  const leaps = spec.leaps ?? [];
  const block = (w: 4 | 8): Buffer => {
    const parts: Buffer[] = [];
    const head = Buffer.alloc(44);
    head.write("TZif", 0, "latin1");
    head.write(version, 4, "latin1");
    [spec.isut?.length ?? 0, spec.isstd?.length ?? 0, leaps.length, trans.length, spec.types.length, 4].forEach((n, i) =>
      head.writeUInt32BE(n, 20 + 4 * i),
    );
    parts.push(head);
    const time = (v: number): Buffer => {
      const b = Buffer.alloc(w);
      if (w === 4) b.writeInt32BE(v);
      else b.writeBigInt64BE(BigInt(v));
      return b;
    };
    trans.forEach((v) => parts.push(time(v)));
    parts.push(Buffer.from(spec.idxs ?? []));
    for (const [offset, isdst] of spec.types) {
      const b = Buffer.alloc(6);
      b.writeInt32BE(offset);
      b.writeUInt8(isdst, 4);
      parts.push(b);
    }
    parts.push(Buffer.from("ZZZ\0", "latin1"));
    for (const [at, corr] of leaps) {
      parts.push(time(at));
      const b = Buffer.alloc(4);
      b.writeInt32BE(corr);
      parts.push(b);
    }
    parts.push(Buffer.from(spec.isstd ?? []), Buffer.from(spec.isut ?? []));
    return Buffer.concat(parts);
  };
  if (version === "\0") return block(4);
  return Buffer.concat([block(4), block(8), Buffer.from(spec.tail ?? `\n${spec.footer ?? ""}\n`, "latin1")]);
}

const YEAR = 31_556_952;
const T2000 = 946_684_800;

/** Crafted zone files, written to a temporary TZDIR (also used as posixrules). */
const CRAFTED: Record<string, Parameters<typeof tzif>[0]> = {
  v1only: { version: "\0", transitions: [T2000, T2000 + YEAR / 2], idxs: [1, 0], types: [[3600, 0], [7200, 1]] },
  noFooter: { transitions: [T2000, T2000 + YEAR / 2], idxs: [1, 0], types: [[-18000, 0], [-14400, 1]] },
  footerAfterLast: { version: "3", transitions: [T2000], idxs: [1], types: [[1000, 0], [2000, 0]], footer: "<+03>-3<+04>,M3.5.0/1,J300/-2" },
  allDst: { transitions: [T2000], idxs: [0], types: [[7200, 1], [10800, 1]] },
  dstFirstType: { transitions: [T2000, T2000 + YEAR], idxs: [2, 1], types: [[7200, 1], [3600, 0], [-3600, 0]] },
  noTransitions: { types: [[-12345, 0]], footer: "" },
  leaps: {
    transitions: [T2000],
    idxs: [0],
    types: [[3600, 0]],
    leaps: [[78796800, 1], [94694401, 2], [94694402, 3], [T2000 + 5, 4]],
    footer: "CET-1",
  },
  // glibc needs >= 2 bytes after the 64-bit block, ignores a footer not
  // starting with "\n", and drops the last byte even when it is not "\n".
  tailEmpty: { transitions: [T2000], idxs: [1], types: [[3600, 0], [7200, 0]], tail: "" },
  tailOneByte: { transitions: [T2000], idxs: [1], types: [[3600, 0], [7200, 0]], tail: "\n" },
  tailNoNewline: { transitions: [T2000], idxs: [1], types: [[3600, 0], [7200, 0]], tail: "XX" },
  tailUnterminated: { transitions: [T2000], idxs: [1], types: [[3600, 0], [7200, 0]], tail: "\nCET-1" },
  mixedStd: {
    transitions: [T2000, T2000 + YEAR / 2, T2000 + YEAR, T2000 + 1.5 * YEAR],
    idxs: [1, 0, 1, 2],
    types: [[-18000, 0], [-14400, 1], [-20000, 0]],
    isstd: [0, 1, 0],
    isut: [0, 0, 1],
  },
};

const LOCALTIME_ZONES: readonly (string | undefined)[] = [
  undefined, "", ":", ":UTC", "UTC", "UTC0", "GMT+5", "Etc/GMT-14", "EST", "Factory", "America",
  "EST5EDT", "EST5EDT,M3.2.0,M11.1.0", "EST5EDT4,M3.2.0/2:30:15,M11.1.0/-1", "<+0530>-5:30", "<-03>3",
  "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "NZST-12NZDT,M9.5.0,M4.1.0/3", "AAA3BBB", "AAA3BBB,", "AAA3BBB2,J60/1,J300",
  "AAA3BBB,59/25,300", "AAA3BBB,M13.1.0,M11.1.0", "AAA3BBB,M3.2.0", "AAA3BBB,M3.2.0/26,M11.1.0/-25", "AAA3BBB,J0",
  "AAA3BBB,J366", "AAA3BBB,0/0,365/0", "AAA3BBB,M3.5.6,M10.5.6", "AAA3BBB,M2.5.0,M2.1.1", "AAA3BBB-1", "AAA3BBB-2:30,M4.1.0,M9.5.0",
  "EST5 ", "EST5,M3.2.0,M11.1.0", "EST5x", "AAA-25", "AAA+99:99:99", "AAA3:30:30BBB2:15", "AAA 3", "AAA3BBB 2",
  "AAA3BBB,M3.2.0,M11.1.0x", "XYZ", "X", "<AB>3", "<A+B>3", "Foo/Bar", " EST5",
  "/usr/share/zoneinfo/Asia/Tokyo", "Europe/../Asia/Tokyo", "America/Argentina/Buenos_Aires", "Asia/Tehran",
  "Africa/Casablanca", "Europe/Dublin", "Antarctica/Troll", "Pacific/Kiritimati", "Asia/Kolkata", "Pacific/Apia",
  "Australia/Lord_Howe", "America/New_York", "Europe/Berlin", "right/Europe/Berlin", "right/UTC", "posix/Europe/Paris",
];

/** Instants spread over the whole datetime range, denser around today. */
function localtimeInstants(seed: number, zone: LocalTimeZone): number[] {
  const g = new Gen(prng(seed));
  const out = [0, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, -62135596800, -62135596800 - 86400, 253402300799, 253402300799 + 86400];
  for (let i = 0; i < 150; i++) out.push(g.int(-62135596800 - 2 * 86400, 253402300799 + 2 * 86400));
  for (let i = 0; i < 150; i++) out.push(g.int(-2208988800, 4102444800));
  for (const year of [1900, 1969, 1970, 1971, 2000, 2001, 2002, 2024, 2038, 2100, 2400, 9999]) {
    for (const t of offsetChanges(zone, year)) out.push(t - 1, t, t + 1);
    out.push(Date.UTC(year, 0, 1) / 1000 - 1, Date.UTC(year, 0, 1) / 1000);
  }
  out.push(78796799, 78796800, 78796801, 94694400, 94694401, 94694402, 94694403, T2000 + 4, T2000 + 5, T2000 + 6);
  return out;
}

test("differential: local time zones (TZ resolution, TZif, POSIX TZ strings) against glibc via time.localtime", async (t) => {
  const python = VERSIONS.map(pythonFor).find((p) => p !== undefined);
  if (python === undefined) return skipOrFail(t, "reference", "differential localtime test: no python interpreter found (looked for CPython 3.8-3.13)", true);
  const tzdir = mkdtempSync(join(tmpdir(), "py-datetime-tzdir-"));
  try {
    for (const [name, spec] of Object.entries(CRAFTED)) writeFileSync(join(tzdir, name), tzif(spec));
    const cases: { tz: string | undefined; env: Record<string, string> }[] = LOCALTIME_ZONES.map((tz) => ({ tz, env: {} }));
    for (const name of Object.keys(CRAFTED)) {
      cases.push({ tz: join(tzdir, name), env: {} }, { tz: name, env: { TZDIR: tzdir } });
    }
    // "AAA3BBB" borrows transitions from TZDIR/posixrules (glibc __tzfile_default).
    const rulesDirs: string[] = [];
    for (const name of ["noFooter", "mixedStd", "footerAfterLast", "v1only", "allDst"]) {
      const dir = join(tzdir, `rules-${name}`);
      mkdirSync(dir);
      writeFileSync(join(dir, "posixrules"), tzif(CRAFTED[name]!));
      rulesDirs.push(dir);
      for (const tz of ["AAA3BBB", "AAA5BBB3", "AAA-1BBB,"]) cases.push({ tz, env: { TZDIR: dir } });
    }
    const failures: string[] = [];
    let compared = 0;
    await pool(
      cases.map(({ tz, env }, k) => async () => {
        const zone = resolveLocalTimeZone({ TZ: tz, TZDIR: env.TZDIR });
        const instants = localtimeInstants(1000 + k, zone);
        const expected = await runPythonJson<[number, number][]>(python, PY_LOCALTIME, tz, instants, env);
        instants.forEach((at, i) => {
          compared++;
          const { gmtoff, leapCorrection, leapHit } = zone.lookup(at);
          const got: [number, number] = [gmtoff, gmtoff - leapCorrection + leapHit];
          if (JSON.stringify(got) !== JSON.stringify(expected[i])) {
            failures.push(`TZ=${JSON.stringify(tz)} ${JSON.stringify(env)} t=${at}: python ${JSON.stringify(expected[i])} ours ${JSON.stringify(got)}`);
          }
        });
      }),
      availableParallelism() + 2,
    );
    t.diagnostic(`compared ${compared} (TZ, instant) pairs over ${cases.length} zone settings`);
    assert.equal(failures.length, 0, `${failures.length} mismatches:\n${failures.slice(0, 40).join("\n")}`);
  } finally {
    rmSync(tzdir, { recursive: true, force: true });
  }
});

