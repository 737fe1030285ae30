/**
 * The local time zone as glibc's `localtime_r` sees it, which is what
 * CPython's naive `datetime.timestamp()` consults (`_PyTime_localtime`).
 * Resolution of the TZ variable follows glibc 2.36 `tzset_internal`:
 *   - unset: the file /etc/localtime (UTC if unreadable);
 *   - empty: "Universal";
 *   - a leading ':' is dropped;
 *   - the value is first tried as a zone file (absolute, or relative to
 *     $TZDIR or /usr/share/zoneinfo), even "EST5EDT"; only if that fails is
 *     it parsed as a POSIX TZ string, and an unparsable one ("Foo/Bar")
 *     leaves UTC.
 */
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { type PosixTz, parsePosixTz } from "./posix-tz.ts";
import { posixTzOffset } from "./posix-tz-offset.ts";
import { parseTzif, retargetTzFile, type TzFile, tzFileLookup, type ZoneLookup } from "./tzfile.ts";

const TZDEFAULT = "/etc/localtime";
const DEFAULT_TZDIR = "/usr/share/zoneinfo";
/** glibc's TZDEFRULES: where rules for "AAA3BBB"-style strings come from. */
const TZDEFRULES = "posixrules";

/** A resolved local time zone: UTC offset (plus leap data) at any instant. */
export interface LocalTimeZone {
  /** What the zone was resolved from, for messages. */
  readonly description: string;
  lookup(t: number): ZoneLookup;
}

export interface ZoneEnvironment {
  /** The TZ variable; undefined when unset. */
  TZ?: string | undefined;
  /** The TZDIR variable; undefined or empty means /usr/share/zoneinfo. */
  TZDIR?: string | undefined;
}

/** glibc `__tzfile_read`: the parsed file, or null if it cannot be used. */
function readZoneFile(name: string, tzdir: string): TzFile | null {
  if (name === "") return null;
  // Plain concatenation like glibc's "%s/%s": the OS, not us, resolves "..".
  const path = name.startsWith("/") ? name : `${tzdir}/${name}`;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return null;
  }
  try {
    // Only regular files: glibc sizes the footer from st_size, so a FIFO or
    // device (st_size 0) never yields a usable v2+ zone - and reading
    // /dev/zero to its end would never finish.
    if (!fstatSync(fd).isFile()) return null;
    return parseTzif(readFileSync(fd));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

const NO_LEAP = { leapCorrection: 0, leapHit: 0 };

function fileZone(description: string, file: TzFile): LocalTimeZone {
  return { description, lookup: (t) => tzFileLookup(file, t) };
}

function posixZone(description: string, tz: PosixTz): LocalTimeZone {
  return { description, lookup: (t) => ({ gmtoff: posixTzOffset(tz, t).offset, ...NO_LEAP }) };
}

/** Resolve a TZ value (undefined = unset) exactly as glibc's tzset does. */
export function resolveLocalTimeZone(env: ZoneEnvironment = process.env): LocalTimeZone {
  const tzdir = env.TZDIR === undefined || env.TZDIR === "" ? DEFAULT_TZDIR : env.TZDIR;
  let tz = env.TZ;
  if (tz === "") tz = "Universal";
  if (tz !== undefined && tz.startsWith(":")) tz = tz.slice(1);
  // A C string ends at the first NUL.
  if (tz !== undefined) tz = tz.split("\0", 1)[0] ?? "";
  const name = tz ?? TZDEFAULT;
  const description = tz === undefined ? "TZ unset (/etc/localtime)" : `TZ=${env.TZ}`;

  const file = readZoneFile(name, tzdir);
  if (file !== null) return fileZone(description, file);
  if (name === "" || name === TZDEFAULT) return posixZone(description, parsePosixTz(""));

  const posix = parsePosixTz(name);
  if (posix.wantsDefaultRules) {
    const rules = readZoneFile(TZDEFRULES, tzdir);
    const retargeted = rules && retargetTzFile(rules, posix.rules[0].offset, posix.rules[1].offset);
    if (retargeted) return fileZone(description, retargeted);
  }
  return posixZone(description, posix);
}

/** Memoized zone of this process's environment (glibc reads TZ once, too). */
let processZone: { key: string; zone: LocalTimeZone } | undefined;

export function processLocalTimeZone(): LocalTimeZone {
  const key = `${process.env.TZ ?? "\0unset"}\0${process.env.TZDIR ?? ""}`;
  if (processZone?.key !== key) processZone = { key, zone: resolveLocalTimeZone(process.env) };
  return processZone.zone;
}
