/**
 * Python-compatible JSON (src/py/json/json.ts) against CPython's json module.
 *
 * - Fixed cases: the expectations in test/fixtures/py-json/*.json were
 *   produced by CPython 3.8 / 3.11 / 3.13 with
 *       python3 test/support/gen_py_fixed_cases.py
 *   (do not edit them by hand; add inputs to that script and rerun it).
 * - Differential: seeded random documents (test/support/random-json.ts) are
 *   decoded, re-encoded with indent=4 and repr()'d by every available
 *   interpreter in one process per version, and compared with ours.
 *   PY_DIFF_SEED / PY_DIFF_COUNT change the seed / number of documents.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  dumpsPythonJson,
  parsePythonJson,
  PythonError,
  PythonJsonError,
  PythonRecursionError,
  PythonValueError,
  pythonFloatRepr,
  REFERENCE_JSON_DUMP_MAX_DEPTH,
  REFERENCE_JSON_LOAD_MAX_DEPTH,
} from "../src/py/json/json.ts";
import { reprValue } from "../src/py/repr.ts";
import type { PyValue } from "../src/py/value.ts";
import { PYTHON_VERSIONS, type PythonVersion } from "../src/py/version.ts";
import { Prng } from "./support/prng.ts";
import { findPythonInterpreters, fromHex16, runPython, toHex16 } from "./support/python.ts";
import { RandomJson } from "./support/random-json.ts";
import { REPO_ROOT } from "./support/reference.ts";
import { skipOrFail } from "./support/requirements.ts";

type Outcome =
  | { ok: { dumps: string; repr: string } }
  | { error: string; message: string; pos?: number; lineno?: number; colno?: number };
interface JsonCase {
  input: string;
  expect: Record<"3.8" | "3.11" | "3.13", Outcome>;
}
interface DumpsCase {
  input: string;
  indent: number;
  expect: string;
}
interface FloatCase {
  bits: string;
  repr: string;
  json: string;
}

/** The fixed cases, written by test/support/gen_py_fixed_cases.py from what CPython printed. */
const FIXTURES = join(REPO_ROOT, "test", "fixtures", "py-json");
function fixedCases<T>(file: string): readonly T[] {
  const { cases } = JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as { cases: T[] };
  assert.ok(cases.length > 0, `${file}: no cases`);
  return cases;
}
const JSON_CASES = fixedCases<JsonCase>("json-cases.json");
const DUMPS_CASES = fixedCases<DumpsCase>("dumps-cases.json");
const FLOAT_CASES = fixedCases<FloatCase>("float-cases.json");

function outcome(input: string, profile: PythonVersion): Outcome {
  try {
    const value = parsePythonJson(input, { profile });
    return { ok: { dumps: dumpsPythonJson(value, 4, { profile }), repr: reprValue(value, profile) } };
  } catch (e) {
    if (e instanceof PythonJsonError) {
      return { error: e.pythonType, message: e.message, pos: e.pos, lineno: e.lineno, colno: e.colno };
    }
    if (e instanceof PythonError) return { error: e.pythonType, message: e.message };
    throw e;
  }
}

function floatFromBits(bits: string): number {
  return Buffer.from(bits, "hex").readDoubleBE(0);
}

test("fixed documents: json.loads + json.dumps(indent=4) + repr as CPython 3.8/3.11/3.13", () => {
  for (const { input, expect } of JSON_CASES) {
    for (const [profile, expected] of Object.entries(expect) as [PythonVersion, Outcome][]) {
      assert.deepEqual(outcome(input, profile), expected, `${profile} ${JSON.stringify(input)}`);
    }
  }
});

test("fixed documents: json.dumps with other indents", () => {
  for (const { input, indent, expect } of DUMPS_CASES) {
    assert.equal(dumpsPythonJson(parsePythonJson(input), indent), expect, `indent=${indent}`);
  }
});

test("float.__repr__ and json floats", () => {
  for (const { bits, repr, json } of FLOAT_CASES) {
    const x = floatFromBits(bits);
    assert.equal(pythonFloatRepr(x), repr, bits);
    assert.equal(dumpsPythonJson(x), json, bits);
  }
});

test("value model: ints are bigint, floats number, dicts ordered Maps", () => {
  const value = parsePythonJson('{"2": 1, "1": 1.0, "2": -0.0, "x": 123456789012345678901234567890}');
  assert.ok(value instanceof Map);
  assert.deepEqual([...value.keys()], ["2", "1", "x"]);
  assert.equal(value.get("1"), 1);
  assert.ok(Object.is(value.get("2"), -0));
  assert.equal(value.get("x"), 123456789012345678901234567890n);
  assert.equal(parsePythonJson("1"), 1n);
});

test("errors are typed and carry Python's position fields", () => {
  assert.throws(
    () => parsePythonJson('["\u{1F600}", 1 x]'),
    (e: unknown) => e instanceof PythonJsonError && e.pos === 8 && e.lineno === 1 && e.colno === 9,
  );
  assert.throws(() => parsePythonJson("1".repeat(4301)), PythonValueError);
  // PYTHONINTMAXSTRDIGITS=0 lifts the limit.
  assert.equal(parsePythonJson("1".repeat(5000), { intMaxStrDigits: 0 }), BigInt("1".repeat(5000)));
});

test("nesting limits of the reference script (json.load / json.dumps of image_json)", () => {
  const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
  for (const profile of PYTHON_VERSIONS) {
    const limit = REFERENCE_JSON_LOAD_MAX_DEPTH[profile];
    assert.doesNotThrow(() => parsePythonJson(nested(limit), { profile }));
    assert.throws(() => parsePythonJson(nested(limit + 1), { profile }), {
      name: "PythonRecursionError",
      message: "maximum recursion depth exceeded while decoding a JSON array from a unicode string",
    });
    assert.doesNotThrow(() => parsePythonJson(nested(limit + 1), { profile, maxDepth: Infinity }));
  }
  const dumpLimit = REFERENCE_JSON_DUMP_MAX_DEPTH["3.12"];
  let value: PyValue = [];
  for (let depth = 1; depth < dumpLimit; depth++) value = [value];
  assert.equal(dumpsPythonJson(value, 4, { profile: "3.12" }).length > 0, true);
  assert.throws(() => dumpsPythonJson([value], 4, { profile: "3.12" }), PythonRecursionError);
  assert.doesNotThrow(() => dumpsPythonJson([value], 4, { profile: "3.11" }));
});

/** Runs in each interpreter: one hex-encoded document per stdin line. */
const DIFF_SCRIPT = String.raw`
import json, sys
def enc(s):
    return s.encode("utf-16-le", "surrogatepass").hex()
out = []
for line in sys.stdin:
    doc = bytes.fromhex(line.strip()).decode("utf-16-le", "surrogatepass")
    try:
        value = json.loads(doc)
        result = "OK\0" + json.dumps(value, indent=4) + "\0" + repr(value)
    except json.JSONDecodeError as e:
        result = "ERR\0json.decoder.JSONDecodeError\0%s\0%d %d %d" % (e, e.pos, e.lineno, e.colno)
    except ValueError as e:
        result = "ERR\0ValueError\0%s" % (e,)
    out.append(enc(result))
sys.stdout.write("\n".join(out))
`;

function ourDiffResult(doc: string, profile: PythonVersion): string {
  try {
    const value = parsePythonJson(doc, { profile });
    return `OK\0${dumpsPythonJson(value, 4, { profile })}\0${reprValue(value, profile)}`;
  } catch (e) {
    if (e instanceof PythonJsonError) return `ERR\0${e.pythonType}\0${e.message}\0${e.pos} ${e.lineno} ${e.colno}`;
    if (e instanceof PythonError) return `ERR\0${e.pythonType}\0${e.message}`;
    throw e;
  }
}

test("differential: random documents against CPython json.loads/dumps/repr", async (t) => {
  const pythons = findPythonInterpreters();
  if (pythons.size === 0) return skipOrFail(t, "reference", "differential JSON test: python3 not found", true);
  const seed = Number(process.env["PY_DIFF_SEED"] ?? 20240611);
  const count = Number(process.env["PY_DIFF_COUNT"] ?? 2500);
  // Different documents per version; all interpreters run concurrently.
  const batches = new Map<PythonVersion, { docs: string[]; python: Promise<string> }>();
  for (const [index, profile] of PYTHON_VERSIONS.entries()) {
    const interpreter = pythons.get(profile);
    if (interpreter === undefined) continue;
    const gen = new RandomJson(new Prng(seed + index));
    const docs = Array.from({ length: count }, () => gen.document());
    batches.set(profile, { docs, python: runPython(interpreter, DIFF_SCRIPT, docs.map(toHex16).join("\n") + "\n") });
  }
  for (const profile of PYTHON_VERSIONS) {
    await t.test(`Python ${profile}`, async (st) => {
      const batch = batches.get(profile);
      if (batch === undefined) {
        // 3.8 and 3.11 are the profiles this test is required to cover.
        const required = profile === "3.8" || profile === "3.11";
        return skipOrFail(st, "reference", `differential JSON test: python ${profile} not found${required ? " (REQUIRED profile)" : ""}`);
      }
      const expected = (await batch.python).split("\n").map(fromHex16);
      assert.equal(expected.length, batch.docs.length);
      const mismatches: { doc: string; ours: string; python: string }[] = [];
      let valid = 0;
      batch.docs.forEach((doc, i) => {
        const ours = ourDiffResult(doc, profile);
        const python = expected[i] ?? "";
        if (python.startsWith("OK")) valid++;
        if (ours !== python && mismatches.length < 5) mismatches.push({ doc, ours, python });
      });
      st.diagnostic(`${batch.docs.length} documents: ${valid} valid, ${batch.docs.length - valid} rejected`);
      assert.deepEqual(mismatches, []);
      // Guard against a degenerate generator.
      assert.ok(valid > batch.docs.length * 0.3 && valid < batch.docs.length * 0.9, `valid=${valid}`);
    });
  }
});
