/**
 * src/py/datetime: naive times under TZ settings (zone files, POSIX
 * strings, unknown names, leap seconds, TZ unset), given as a zone or taken
 * from the process's TZ, against int(timestamp()) as CPython printed it
 * (test/support/gen_py_datetime_fixed.py).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseCreated, timestampSeconds } from "../src/py/datetime/datetime.ts";
import { skipOrFail } from "./support/requirements.ts";
import { zoneFor } from "./support/py-datetime.ts";

/**
 * [TZ (undefined = unset), int(timestamp()) of each FIXED_TZ_WALL time]: the
 * second block test/support/gen_py_datetime_fixed.py prints, pasted verbatim.
 */
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
const { parseCreated, resolveLocalTimeZone, timestampSeconds } = await import(${JSON.stringify(new URL("../src/py/datetime/datetime.js", import.meta.url).href)});
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
