/**
 * Seeded random image confs for the whole-image differential test, written
 * as JSON TEXT so that key order, duplicate keys, escapes and number
 * spellings are under the test's control (JSON.stringify would normalise
 * them away).  Every conf is valid for every CPython profile 3.8-3.13: the
 * reference must succeed on it, so the comparison covers the image bytes.
 *
 * Also the customisation layers the confs point at: store directories with
 * a `layer.tar` (random bytes, mode and owner) and a `checksum` (64
 * characters, sometimes wrapped in whitespace that str.strip() removes).
 */
import type { TreeEntry } from "./tree-spec.ts";
import { storePath } from "../fixtures/layer-fixtures.ts";
import { Prng } from "./prng.ts";

/**
 * `created` values that datetime.fromisoformat() accepts and whose
 * timestamp() works on every CPython 3.8-3.13 under both TZs the test uses
 * (checked against the interpreters).  Never "now": it cannot be compared
 * byte for byte.  Covers: naive local times (TZ-dependent mtime, DST gaps
 * and folds in New York and Berlin, LMT before 1900), 3- and 6-digit
 * fractions, offsets with seconds and microseconds, any separator
 * character, truncation toward zero around the epoch, negative mtimes and
 * mtimes at and past 8**11 (PAX mtime records), years 1 and 9999.
 */
export const CREATED_VALUES: readonly string[] = [
  "2024-01-02T03:04:05",
  "2024-01-02 03:04:05.123",
  "2024-01-02 03:04:05.000",
  "2024-01-02T03:04:05.123456+05:30",
  "2024-01-02T03:04:05.000000+00:00",
  "2024-01-02T03:04:05.123+01:00",
  "2024-01-02T03:04:05+00:00:00",
  "2024-01-02T03:04:05-01:00:01.000001",
  "2024-01-02T03:04:05.123456+00:00:01",
  "2024-01-02 03:04:05.123456-00:00",
  "2024-01-02T00:00:00.000001+00:00:00.999999",
  "2024-01-02",
  "2024-01-02T03",
  "2024-01-02T03:04",
  "2024-01-02x03:04:05",
  "2024-01-02\u00e903:04:05",
  "2024-01-02\u00e903:04:05.123456-03:30",
  "2024-01-02\u080003:04:05",
  "2024-01-02\u{1f600}03:04:05",
  "1969-12-31T23:59:59.999999+00:00",
  "1969-12-31T23:59:59.500",
  "1969-12-31T18:59:59.999999-05:00:00.000001",
  "1970-01-01T00:00:00+00:00",
  "1970-01-01T00:00:00.000001-00:00:00.000002",
  "1960-01-01 00:00:00.000100-07:00",
  "1901-12-13T20:45:52+00:00",
  "1677-09-21T00:12:44+00:00",
  "1900-01-01T00:00:00",
  "1800-06-01T12:00:00",
  "0001-01-01T00:00:00+00:00",
  "9999-12-31T23:59:59.999999-12:00",
  "9999-12-31T23:59:59.999999+14:00",
  "2021-03-14T02:30:00",
  "2021-11-07T01:30:00",
  "2021-03-28T02:30:00",
  "2021-10-31T02:30:00",
  "2024-02-29T12:00:00+14:00",
  "2024-02-29T12:00:00-23:59",
  "2000-01-01T00:00:00+23:59:59",
  "2000-01-01T00:00:00+05:30:15.123456",
  "2000-01-01T00:00:00-00:00:00.000001",
  "2000-01-01T00:00:00.100+01:00",
  "2038-01-19T03:14:08",
  "2038-01-19T03:14:07.999999+00:00",
  "2242-03-16T12:56:31+00:00",
  "2242-03-16T12:56:32+00:00",
  "2242-03-16T12:56:32",
];

const UIDS = [0, 0, 1, 33, 1000, 65534, 4242, 8 ** 7 - 1, 8 ** 7, 4294967294];
const GIDS = [0, 0, 4, 100, 104, 65534, 4242, 8 ** 7 - 1, 8 ** 7, 4294967294];
const LAYER_MODES = ["0644", "0444", "0600", "0755", "0000", "4755", "2644", "1777", "0640"];
/** What str.strip() removes: ASCII and Unicode whitespace, including \x1c-\x1f and \x85. */
const STRIPPED = [" ", "\n", "\t", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\u00a0", "\u2028", "\u3000", "\u2003"];

class Random extends Prng {
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const k = this.int(i + 1);
      [items[i], items[k]] = [items[k]!, items[i]!];
    }
    return items;
  }

  hex(bytes: number): string {
    let out = "";
    for (let i = 0; i < bytes; i++) out += this.int(256).toString(16).padStart(2, "0");
    return out;
  }
}

export interface CustomisationLayers {
  /** The store directories (what a conf's customisation_layer names). */
  readonly paths: string[];
  readonly entries: TreeEntry[];
}

/**
 * `count` customisation layer directories, `/nix/store/<hash>-customisation-layer`
 * and variations, each with `layer.tar` and `checksum`.
 */
export function randomCustomisationLayers(seed: number, count: number, canChown: boolean): CustomisationLayers {
  const r = new Random(seed ^ 0xc0ffee);
  const paths: string[] = [];
  const entries: TreeEntry[] = [];
  // Non-ASCII and non-UTF-8 (a lone surrogate stands for the raw byte) directory names too.
  const names = ["customisation-layer", "customisation-layer-\u00e9\u{1f600}", "customisation-layer", "customisation-layer-\udcff"];
  for (let i = 0; i < count; i++) {
    const path = storePath(5000 + seed * 17 + i * 3, names[i % names.length]!);
    if (paths.includes(path)) continue;
    paths.push(path);
    const size = r.pick([0, 1, 100, 511, 512, 513, 3000, 10240, 10241]);
    let checksum = r.hex(32);
    if (r.chance(0.2)) checksum = checksum.toUpperCase();
    // len() counts code points: 64 characters need not be 64 hex digits (a non-ASCII layer name needs a PAX path).
    if (r.chance(0.15)) checksum = checksum.slice(0, 60) + r.pick(["\u00e9\u{1f600}\u65e5\u00df", "\u00a0abc", "ab\u0001c", "\u{10ffff}xyz"]);
    if (r.chance(0.6)) {
      let before = "";
      let after = "";
      for (let n = r.int(3); n > 0; n--) before += r.pick(STRIPPED);
      for (let n = r.between(1, 3); n > 0; n--) after += r.pick(STRIPPED);
      checksum = before + checksum + after;
    }
    entries.push({ path, type: "dir", mode: r.pick(["0555", "0755"]) });
    entries.push({
      path: `${path}/layer.tar`,
      type: "file",
      mode: r.pick(LAYER_MODES),
      hex: r.hex(size),
      ...(canChown ? { owner: { uid: r.pick(UIDS), gid: r.pick(GIDS) } } : {}),
    });
    entries.push({ path: `${path}/checksum`, type: "file", mode: "0444", text: checksum });
  }
  return { paths, entries };
}

/** Characters and pieces strings are made of (JS strings: a lone surrogate is a lone code point for Python). */
const STRING_PIECES = [
  "a", "Z", "0", " ", "/", "\"", "\\", "'", "'\"", "-", ":", "\u00e9", "\u00df", "\u65e5\u672c", "\u{1f600}", "\u{10ffff}",
  "\u{1d11e}", "\ud83d", "\udc80", "\udcff", "\ud800", "\udfff", "\u0000", "\u001f", "\b", "\f", "\n", "\r", "\t",
  "\u007f", "\u0085", "\u00a0", "\u00ad", "\u2028", "\u2029", "\ufeff", "\ufffd", "\ue000", "\uffff", "/nix/store/",
];

const INTS = [
  "0", "-0", "1", "-1", "42", "9007199254740993", "-9007199254740993", "9223372036854775807", "9223372036854775808",
  "18446744073709551616", "-340282366920938463463374607431768211457", "123456789012345678901234567890123456789012345678901234567890",
];

const FLOATS = [
  "1e16", "1E16", "1e+16", "1.0", "-0.0", "0.0", "-0E0", "0e-5", "1E400", "-1E400", "1e-400", "1e-7", "1.0E-7", "12500.0",
  "0.1", "0.30000000000000004", "2.5e-324", "5e-324", "1.7976931348623157e308", "123456789012345678.0", "1e22",
  "9999999999999999.0", "1e15", "0.0001", "0.00001", "100e-2", "3.14159", "-1.5e300",
];

const KEYS = ["a", "b", "1", "2", "10", "0", "-1", "01", "1.0", "", "\u00e9", "\u{1f600}", "\udc80", "a", "1"];

/** The JSON text of one random conf, plus what it was made from (for failure messages). */
export interface RandomConf {
  readonly text: string;
  readonly created: string;
  readonly storeLayers: string[][];
  readonly customisationLayer: string;
}

export class ConfWriter {
  private readonly storePaths: readonly string[];
  private readonly customisationLayers: readonly string[];
  /** Paths below store paths (e.g. /nix/store/x/dir/file): the reference archives any path under /nix/store/. */
  private readonly innerPaths: readonly string[];
  private readonly r: Random;

  constructor(seed: number, storePaths: readonly string[], customisationLayers: readonly string[], innerPaths: readonly string[] = []) {
    this.storePaths = storePaths;
    this.customisationLayers = customisationLayers;
    this.innerPaths = innerPaths;
    this.r = new Random(seed ^ 0x1a7e);
  }

  /** JSON whitespace (\r is turned into \n by text mode first, harmless here). */
  private ws(): string {
    const r = this.r;
    if (r.chance(0.5)) return "";
    let out = "";
    for (let n = r.between(1, 3); n > 0; n--) out += r.pick([" ", " ", "\n", "\t", "\r\n", "\r", "    "]);
    return out;
  }

  private hex4(unit: number): string {
    const h = unit.toString(16).padStart(4, "0");
    return this.r.chance(0.3) ? h.toUpperCase() : h;
  }

  /**
   * A JSON string literal for the JS string `s`, escaping at random what
   * may be written raw: lone surrogates always as \\uXXXX (Python reads
   * them back as lone code points), astral characters raw or as an
   * escaped surrogate pair, "/" sometimes as "\\/".
   */
  str(s: string): string {
    const r = this.r;
    const escapeRate = r.pick([0, 0, 0.1, 0.5]);
    let out = '"';
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0xd800 && cp <= 0xdfff) out += `\\u${this.hex4(cp)}`;
      else if (ch === '"') out += r.chance(escapeRate) ? `\\u${this.hex4(cp)}` : '\\"';
      else if (ch === "\\") out += r.chance(escapeRate) ? `\\u${this.hex4(cp)}` : "\\\\";
      else if (cp < 0x20) {
        const short = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" }[cp];
        out += short !== undefined && !r.chance(escapeRate) ? short : `\\u${this.hex4(cp)}`;
      } else if (ch === "/" && r.chance(escapeRate)) out += "\\/";
      else if (r.chance(escapeRate)) {
        out += cp > 0xffff ? `\\u${this.hex4(ch.charCodeAt(0))}\\u${this.hex4(ch.charCodeAt(1))}` : `\\u${this.hex4(cp)}`;
      } else out += ch;
    }
    return out + '"';
  }

  private randomString(max: number): string {
    let s = "";
    for (let n = this.r.int(max + 1); n > 0; n--) s += this.r.pick(STRING_PIECES);
    return s;
  }

  private number(): string {
    const r = this.r;
    const k = r.int(10);
    if (k < 3) return r.pick(INTS);
    if (k < 7) return r.pick(FLOATS);
    if (k < 8) return String(r.between(-100000, 100000));
    if (k < 9) return `${r.between(-999, 999)}.${r.between(0, 99999)}${r.pick(["", "e5", "E-3", "e+21", "e-10"])}`;
    return (r.chance(0.3) ? "-" : "") + String(r.between(1, 9)) + r.hex(r.between(1, 20)).replace(/[a-f]/g, "7");
  }

  /** A random JSON value: the tricky content of `config`. */
  value(depth: number): string {
    const r = this.r;
    const k = r.int(depth >= 4 ? 60 : 100);
    if (k < 18) return this.number();
    if (k < 38) return this.str(this.randomString(6));
    if (k < 50) return r.pick(["null", "true", "false", "NaN", "Infinity", "-Infinity"]);
    if (k < 60) return r.pick(["[]", "{}", "[[]]", "[{}]", '{"":{}}', "[[],{}]", `{${this.ws()}}`, `[${this.ws()}]`]);
    const count = r.between(1, 5);
    const items: string[] = [];
    if (k < 78) {
      for (let i = 0; i < count; i++) items.push(this.ws() + this.value(depth + 1) + this.ws());
      return `[${items.join(",")}]`;
    }
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      // Duplicate keys: Python keeps the first position and the last value.
      const key = keys.length > 0 && r.chance(0.2) ? r.pick(keys) : r.chance(0.5) ? r.pick(KEYS) : this.randomString(3);
      keys.push(key);
      items.push(this.ws() + this.str(key) + this.ws() + ":" + this.ws() + this.value(depth + 1) + this.ws());
    }
    return `{${items.join(",")}}`;
  }

  private architecture(): string {
    const r = this.r;
    if (r.chance(0.15)) return this.value(3);
    return this.str(r.pick(["amd64", "arm64", "", "riscv64", "\u00e4rch-\u{1f600}", "x\udc80y", "386"]));
  }

  private repoTag(): string {
    const r = this.r;
    if (r.chance(0.1)) return this.value(3);
    const name = r.pick(["hello", "registry.example/ns/app", "caf\u00e9", "\u65e5\u672c/\u{1f600}", "a'b", "q\"uote", "x\udcffy", ""]);
    const tag = r.pick(["latest", "1.0", "", "t\u00e4g", "\u{1f680}", "0000000000000000000000000000000000000000"]);
    return this.str(r.chance(0.1) ? name : `${name}:${tag}`);
  }

  private storeLayers(): string[][] {
    const r = this.r;
    const pool = this.storePaths.length > 0 ? this.storePaths : this.customisationLayers;
    const layers: string[][] = [];
    for (let n = r.pick([0, 1, 2, 2, 3, 3, 4, 4]); n > 0; n--) {
      const layer: string[] = [];
      for (let m = r.pick([0, 1, 1, 2, 2, 3, 3]); m > 0; m--) {
        // Repeats within and across layers come from the small pool;
        // sometimes the customisation layer directory itself is a store path.
        const k = r.int(100);
        const path = k < 5 ? r.pick(this.customisationLayers) : k < 10 && this.innerPaths.length > 0 ? r.pick(this.innerPaths) : r.pick(pool);
        layer.push(this.spelling(path));
      }
      layers.push(layer);
    }
    if (layers.length > 1 && r.chance(0.2)) layers.push([...layers[0]!]);
    return layers;
  }

  /**
   * Now and then another spelling of the same path: pathlib.Path drops a
   * trailing "/", "." components and doubled slashes from the member names,
   * while the stderr line and the history comment show the string as given.
   */
  private spelling(path: string): string {
    const r = this.r;
    if (!r.chance(0.1)) return path;
    return r.pick([`${path}/`, `${path}/.`, path.replace("/nix/store/", "/nix/store//"), path.replace("/nix/store/", "/nix/store/./")]);
  }

  private list(items: readonly string[]): string {
    return items.length === 0 ? `[${this.ws()}]` : `[${items.map((item) => this.ws() + item + this.ws()).join(",")}]`;
  }

  /** A key spelled with escapes now and then ("cr\\u0065ated" is "created" to json). */
  private key(name: string): string {
    if (name === "" || !this.r.chance(0.15)) return `"${name}"`;
    const at = this.r.int(name.length);
    return `"${name.slice(0, at)}\\u${this.hex4(name.charCodeAt(at))}${name.slice(at + 1)}"`;
  }

  /** A value for a key that a later duplicate overrides: anything, even what would be invalid. */
  private decoy(name: string): string {
    const r = this.r;
    return r.pick([
      this.value(2),
      '"now"',
      '"not a date"',
      "null",
      '[["/not/a/store/path"]]',
      this.str("/nix/store/00000000000000000000000000000000-missing"),
      name === "created" ? this.str(r.pick(CREATED_VALUES)) : "{}",
    ]);
  }

  conf(): RandomConf {
    const r = this.r;
    const created = r.pick(CREATED_VALUES);
    const storeLayers = this.storeLayers();
    // os.path.join(layer, "checksum"): a trailing "/" reads the same files; the history shows it.
    // "\udcc3\udca9" is "é" after os.fsencode(): the same directory under another str (the history shows the str).
    let customisationLayer = r.pick(this.customisationLayers) + (r.chance(0.1) ? "/" : "");
    if (r.chance(0.3)) customisationLayer = customisationLayer.replace("\u00e9", "\udcc3\udca9");
    const members: [string, string][] = [
      ["architecture", this.architecture()],
      ["config", this.value(0)],
      ["created", this.str(created)],
      ["repo_tag", this.repoTag()],
      ["store_layers", this.list(storeLayers.map((layer) => this.list(layer.map((path) => this.str(path)))))],
      ["customisation_layer", this.str(customisationLayer)],
    ];
    if (r.chance(0.6)) members.push(["os", r.pick(['"linux"', '"windows"', "null", this.value(2)])]);
    if (r.chance(0.3)) members.push([r.pick(["fromImage", "comment", "", "Config"]), this.value(2)]);
    return { text: this.objectText(members), created, storeLayers, customisationLayer };
  }

  /** Members in random order, with duplicate keys (a decoy first), as JSON text. */
  private objectText(members: [string, string][]): string {
    const r = this.r;
    r.shuffle(members);
    // Duplicate keys: a decoy first, the real value (the last one wins) later.
    for (let n = r.int(3); n > 0; n--) {
      const at = r.int(members.length);
      const [name] = members[at]!;
      members.splice(r.int(at + 1), 0, [name, this.decoy(name)]);
    }
    const body = members.map(([name, value]) => `${this.ws()}${this.key(name)}${this.ws()}:${this.ws()}${value}${this.ws()}`);
    return `${this.ws()}{${body.join(",")}}${this.ws()}${r.chance(0.5) ? "\n" : ""}`;
  }

  /** A uid/gid JSON value that Python's int() accepts, in every spelling it accepts. */
  private owner(): string {
    const r = this.r;
    const n = r.pick([0, 0, 1, 33, 100, 1000, 65534, 8 ** 7 - 1, 8 ** 7, 4294967294, -1, -65534]);
    switch (r.int(8)) {
      case 0:
        return r.pick(["true", "false", "1.9", "-0.5", "1e20", "2097151.99", "123456789012345678901234567890"]);
      case 1:
        // Surrounding whitespace (ASCII and Unicode), a sign.
        // One sign only: "+-1" is refused.
        return this.str(`${r.pick(["", " ", "\t", "\n", "\u00a0", "\u3000"])}${n >= 0 ? r.pick(["", "+"]) : ""}${n}${r.pick(["", " ", "\r\n", "\u2028"])}`);
      case 2:
        // Underscores between digits.
        return this.str(String(n).replace(/(\d)(?=\d)/g, (d) => (r.chance(0.5) ? `${d}_` : d)));
      case 3:
        // Other Unicode decimal digits (Arabic-Indic, fullwidth, Devanagari) known to every CPython 3.8-3.13.
        return this.str(String(Math.abs(n)).replace(/\d/g, (d) => String.fromCodePoint(r.pick([0x660, 0xff10, 0x966, 0x30]) + Number(d))));
      default:
        return String(n);
    }
  }

  /** An uname/gname: any str that surrogateescape can write (lone surrogates only in U+DC80..U+DCFF). */
  private ownerName(): string {
    const r = this.r;
    if (r.chance(0.5)) return this.str(r.pick(["root", "root", "nobody", "", "user", "a-name-longer-than-thirty-two-chars", "\u00fcser"]));
    return this.str(this.randomString(8).replace(/[\ud800-\udc7f\udd00-\udfff]/g, "x"));
  }

  /**
   * A conf of today's script: the 2020 keys plus store_dir (a prefix of
   * every store path), from_image null, mtime (never "now"), uid, gid,
   * uname, gname; and sometimes -t/--repo_tag on the command line.
   */
  currentConf(): RandomConf & { readonly args: readonly string[]; readonly mtime: string } {
    const r = this.r;
    const base = this.conf();
    const mtime = r.pick(CREATED_VALUES);
    const members: [string, string][] = [
      ["architecture", this.architecture()],
      ["config", this.value(0)],
      ["created", this.str(base.created)],
      ["mtime", this.str(mtime)],
      ["uid", this.owner()],
      ["gid", this.owner()],
      ["uname", this.ownerName()],
      ["gname", this.ownerName()],
      ["store_dir", this.str(r.pick(["/nix/store", "/nix/store", "/nix/store/", "/nix", "/", ""]))],
      ["from_image", "null"],
      ["store_layers", this.list(base.storeLayers.map((layer) => this.list(layer.map((path) => this.str(path)))))],
      ["customisation_layer", this.str(base.customisationLayer)],
    ];
    const args = r.chance(0.7) ? [] : r.pick([["-t", "override:tag"], ["--repo_tag", "caf\u00e9:1"], ["--repo_tag="], ["-tx:y"]]);
    // With a non-empty -t the conf's repo_tag is never read: it may be missing.
    if (args.length === 0 || args[0] === "--repo_tag=" || r.chance(0.5)) members.push(["repo_tag", this.repoTag()]);
    return { ...base, text: this.objectText(members), args, mtime };
  }
}
