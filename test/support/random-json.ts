/**
 * Seeded random JSON documents aimed at the corners where Python's json
 * differs from JavaScript's or from a naive implementation: big and
 * boundary ints, float spellings and repr boundaries (1e16, 1e-5, -0.0,
 * subnormals, overflow), surrogate escapes, astral and control characters,
 * duplicate and integer-like keys, odd whitespace, deep nesting, and
 * mutated (mostly invalid) documents.
 */
import { Prng } from "./prng.ts";

const TRICKY_FLOATS = [
  "1e16", "1e15", "1e-5", "1e-4", "0.0001", "0.00001", "1E+16", "9999999999999999.0", "9999999999999998.0",
  "1e22", "1e23", "1e400", "-1e400", "1e-400", "2.5e-324", "4.9e-324", "5e-324", "2.2250738585072014e-308",
  "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "-0.0", "0.0", "0e0",
  "-0E-0", "12500.0", "123456789012345678.0", "0.1", "1.0e+0", "0.30000000000000004", "1e-7", "1.5e300",
  "9007199254740993.0", "1.00000000000000011102230246251565404236316680908203125", "0.1e1", "100e-2",
];

const TRICKY_INTS = [
  "0", "-0", "1", "-1", "9007199254740993", "9223372036854775807", "9223372036854775808",
  "-9223372036854775809", "18446744073709551616", "340282366920938463463374607431768211457",
];

const KEY_POOL = ["a", "b", "1", "2", "10", "-1", "01", "", "\u00e9", "0", "1.0", "a"];

const SIMPLE_ESCAPES = ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"];

const ASCII = " !#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~";

function digits(rng: Prng, count: number, leadingNonZero: boolean): string {
  let out = leadingNonZero ? String(1 + rng.int(9)) : "";
  while (out.length < count) out += String(rng.int(10));
  return out;
}

function randomDouble(rng: Prng): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, rng.int(2 ** 32));
  view.setUint32(4, rng.int(2 ** 32));
  return view.getFloat64(0);
}

function hex4(rng: Prng, value: number): string {
  const h = value.toString(16).padStart(4, "0");
  return rng.chance(0.3) ? h.toUpperCase() : h;
}

export class RandomJson {
  private readonly rng: Prng;
  constructor(rng: Prng) {
    this.rng = rng;
  }

  ws(): string {
    const rng = this.rng;
    if (rng.chance(0.6)) return "";
    // Rarely a character Python's json does not treat as whitespace.
    if (rng.chance(0.01)) return rng.pick(["\f", "\v", "\u00a0", "\u2028", "\ufeff"]);
    let out = "";
    for (let n = 1 + rng.int(3); n > 0; n--) out += rng.pick([" ", "\t", "\n", "\r"]);
    return out;
  }

  int(): string {
    const rng = this.rng;
    const r = rng.int(100);
    if (r < 25) return rng.pick(TRICKY_INTS);
    if (r < 60) return String(rng.int(2001) - 1000);
    if (r < 97) return (rng.chance(0.3) ? "-" : "") + digits(rng, 1 + rng.int(40), true);
    // Around sys.get_int_max_str_digits() = 4300.
    return (rng.chance(0.5) ? "-" : "") + digits(rng, 4299 + rng.int(3), true);
  }

  float(): string {
    const rng = this.rng;
    const r = rng.int(100);
    if (r < 25) return rng.pick(TRICKY_FLOATS);
    if (r < 65) {
      const x = randomDouble(rng);
      if (!Number.isFinite(x)) return "1.5";
      const k = rng.int(5);
      if (k === 0) return String(x);
      if (k === 1) return x.toExponential(rng.int(21));
      if (k === 2) return x.toPrecision(1 + rng.int(21));
      if (k === 3 && Math.abs(x) < 1e21) return x.toFixed(1 + rng.int(20));
      return String(x);
    }
    if (r < 85) {
      // Random decimal spelling, exponents near the double range limits.
      let s = (rng.chance(0.3) ? "-" : "") + (rng.chance(0.2) ? "0" : digits(rng, 1 + rng.int(20), true));
      if (rng.chance(0.7)) s += "." + digits(rng, 1 + rng.int(25), false);
      if (rng.chance(0.6)) s += rng.pick(["e", "E"]) + rng.pick(["", "+", "-"]) + String(rng.int(340));
      return s;
    }
    // Short values around the repr switch points 1e16 and 1e-4.
    const mantissa = String(1 + rng.int(999));
    return `${mantissa}e${rng.pick(["", "-"])}${rng.pick([1, 3, 4, 5, 6, 13, 14, 15, 16, 17, 18])}`;
  }

  stringBody(): string {
    const rng = this.rng;
    let out = "";
    for (let n = rng.int(10); n > 0; n--) {
      const r = rng.int(100);
      if (r < 30) out += ASCII[rng.int(ASCII.length)];
      else if (r < 40) out += rng.pick(SIMPLE_ESCAPES);
      else if (r < 50) out += `\\u${hex4(rng, rng.int(0x10000))}`;
      else if (r < 56) {
        // Surrogate escapes: a pair, lone high, lone low, high + non-low.
        const hi = 0xd800 + rng.int(0x400);
        const lo = 0xdc00 + rng.int(0x400);
        out += rng.pick([
          `\\u${hex4(rng, hi)}\\u${hex4(rng, lo)}`,
          `\\u${hex4(rng, hi)}`,
          `\\u${hex4(rng, lo)}`,
          `\\u${hex4(rng, hi)}\\u${hex4(rng, hi)}`,
          `\\u${hex4(rng, lo)}\\u${hex4(rng, hi)}`,
          `\\u${hex4(rng, hi)}\\u0041`,
        ]);
      } else if (r < 66) {
        let cp = 0x80 + rng.int(0xff80);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe9;
        out += String.fromCharCode(cp);
      } else if (r < 73) out += String.fromCodePoint(0x10000 + rng.int(0x100000));
      // No raw lone surrogates: text decoded from a UTF-8 file cannot hold
      // them, and a JS string cannot tell a raw high surrogate followed by a
      // \uDCxx escape (two code points in Python) from one astral character.
      else if (r < 77) out += rng.pick(["\u007f", "\u2028", "\u00a0", "\u00ad", "\ufeff", "'", "'\"", "\u0085"]);
      else if (r < 78) out += String.fromCharCode(rng.int(0x20)); // invalid: raw control character
      else if (r < 79) out += rng.pick(["\\x41", "\\U00000041", "\\u12", "\\u00g0", "\\", "\\'"]); // invalid escapes
      else out += rng.pick(["/nix/store/", "abc", "-1.0", " ", "key"]);
    }
    return out;
  }

  key(): string {
    return this.rng.chance(0.4) ? `"${this.rng.pick(KEY_POOL)}"` : `"${this.stringBody()}"`;
  }

  value(depth: number): string {
    const rng = this.rng;
    const r = rng.int(depth > 3 ? 70 : 100);
    if (r < 15) return this.int();
    if (r < 32) return this.float();
    if (r < 55) return `"${this.stringBody()}"`;
    if (r < 70) return rng.pick(["null", "true", "false", "NaN", "Infinity", "-Infinity"]);
    const count = rng.int(6);
    const items: string[] = [];
    if (r < 85) {
      for (let i = 0; i < count; i++) items.push(this.ws() + this.value(depth + 1) + this.ws());
      return `[${items.length === 0 ? this.ws() : items.join(",")}]`;
    }
    for (let i = 0; i < count; i++) {
      items.push(this.ws() + this.key() + this.ws() + ":" + this.ws() + this.value(depth + 1) + this.ws());
    }
    return `{${items.length === 0 ? this.ws() : items.join(",")}}`;
  }

  /** 20..400 levels of mixed arrays and objects around one value. */
  deep(): string {
    const rng = this.rng;
    const levels = 20 + rng.int(381);
    const open: string[] = [];
    const close: string[] = [];
    for (let i = 0; i < levels; i++) {
      if (rng.chance(0.5)) {
        open.push("[" + this.ws());
        close.push(this.ws() + "]");
      } else {
        open.push(`{${this.key()}:${this.ws()}`);
        close.push(this.ws() + "}");
      }
    }
    return open.join("") + this.value(9) + close.reverse().join("");
  }

  /**
   * A mutation that usually makes the document invalid.  It works on code
   * points so that it never splits an astral character into lone surrogates
   * (see stringBody).
   */
  mutate(doc: string): string {
    const rng = this.rng;
    const chars = Array.from(doc);
    const at = rng.int(chars.length + 1);
    const before = chars.slice(0, at).join("");
    const after = chars.slice(at).join("");
    switch (rng.int(8)) {
      case 0:
        return before;
      case 1:
        return before + chars.slice(at + 1).join("");
      case 2:
        return before + rng.pick([",", ":", "[", "]", "{", "}", '"', "\\", "x", "0", "-", "e", ".", "+", "\u0000", "\n"]) + after;
      case 3: {
        const close = Math.max(before.lastIndexOf("]"), before.lastIndexOf("}"));
        return close > 0 ? `${doc.slice(0, close)},${this.ws()}${doc.slice(close)}` : `${doc},`;
      }
      case 4:
        return doc + this.ws() + rng.pick(["x", "1", "[]", '""', ","]);
      case 5:
        return `\ufeff${doc}`;
      case 6:
        return before + rng.pick([",,", ", ]", "::", '""', "\u00a0"]) + after;
      default:
        return doc.replace(/,/, rng.pick(["", " ", ";"]));
    }
  }

  document(): string {
    const rng = this.rng;
    const r = rng.int(100);
    let doc: string;
    if (r < 4) doc = this.deep();
    else if (r < 20) doc = `[${Array.from({ length: 1 + rng.int(12) }, () => this.float()).join(", ")}]`;
    else doc = this.value(0);
    doc = this.ws() + doc + this.ws();
    return rng.chance(0.2) ? this.mutate(doc) : doc;
  }
}
