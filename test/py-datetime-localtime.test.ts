/**
 * Local time alone: our glibc emulation (src/py/localtime.ts) against
 * time.localtime() for ~90 TZ spellings (zone files, POSIX strings well-
 * and ill-formed, crafted TZif files) at instants spread over years
 * 1..9999.  Without an interpreter the test skips, loudly.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type LocalTimeZone, resolveLocalTimeZone } from "../src/py/datetime/datetime.ts";
import { pythonFor } from "./support/reference.ts";
import { skipOrFail } from "./support/requirements.ts";
import { Gen, offsetChanges, pool, prng, runPythonJson, VERSIONS } from "./support/py-datetime.ts";

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
