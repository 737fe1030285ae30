#!/usr/bin/env python3
"""Regenerate the Python-produced expectations of the fixed-case tests:
test/fixtures/py-json/*.json (read by test/py-json.test.ts) and the block
embedded in test/py-repr.test.ts.

Usage (from the repository root):

    python3 test/support/gen_py_fixed_cases.py [PYENV_VERSIONS_DIR]

For every input listed below, the matching interpreter(s) under
PYENV_VERSIONS_DIR (default /root/.pyenv/versions) compute the expected
result: json.loads + json.dumps(indent=...) + repr for the JSON cases (on
3.8, 3.11 and 3.13, whose error texts differ), float.__repr__ for the float
cases, repr() for the str/list cases (all six versions: their Unicode
databases differ).  The JSON results are written to
test/fixtures/py-json/ (each file names this script and the interpreters'
versions); the repr results replace the text between the
"// BEGIN GENERATED" and "// END GENERATED" markers of test/py-repr.test.ts.
Nothing in those files or that block is written by hand.
"""
import glob
import json
import os
import re
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALL_VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
JSON_VERSIONS = ["3.8", "3.11", "3.13"]

JSON_INPUTS = [
    # key order, integer-like keys, duplicates
    '{"b": 1, "a": 2}',
    '{"2": "two", "1": "one", "10": 10, "a": 0, "-1": -1, "01": 1}',
    '{"a": 1, "b": 2, "a": 3}',
    '{"x": {"y": 1}, "z": null, "x": [1]}',
    # numbers
    "12345678901234567890123456789012345678901234567890",
    "-0", "0", "-0.0", "1.0", "1e5", "1E5", "1e+5", "1.5e-7", "-12.50e1",
    "1e400", "-1e400", "1e-400",
    "[1e16, 1e15, 1e-5, 0.0001, 12500.0, 123456789012345678.0, 0.1, 1.7976931348623157e308]",
    "[5e-324, 2.5e-324, 1e22, 9007199254740993, 9007199254740993.0, 0.30000000000000004]",
    "[NaN, Infinity, -Infinity]",
    # strings
    '"\\ud83d\\ude00"', '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800\\ud800\\udc00"',
    '"\\uDBFF\\uDFFF"', '"\\udc00\\ud800"', '"\\u00e9\\u0000\\u001f\\u007f\\u0080\\u2028"',
    '"\u00e9\U0001f600 raw \u2028"', '"\\/\\b\\f\\n\\r\\t\\"\\\\"', '"it\'s"', '"\x7f"',
    # whitespace and containers
    " \t\n\r[ ]\r\n", "{}", "[]", "[[],{},[[]]]", '{"a": [], "b": {}}', "true", "false", "null", '"str"',
    # invalid documents
    "", "   ", "[1,]", '{"a":1,}', "[1,\n]", '{"a":1 ,  }', "[1 2]", '{"a" 1}', "{1:2}", "{'a':1}",
    '{"a":}', '"abc', '"a\\x"', '"a\\u12"', '"a\\u12g4"', '"a\x01"', '"tab\there"', '"\\ud800\\u12"',
    '"\\ud800\\uzzzz"', '"\\ud800\\udc00', '"\\ud800\\udc0', '"\\ud800\\u', '"\\ud800\\',
    '"\\ud800\\udc00"', "1 2", "[", "{", '{"a"', '{"a":1', "[1", "-", "-a", "1.", "1.e5", ".5", "1e",
    "1e+", "01", "00", "-01", "nul", "True", "nan", "infinity", "-Inf", "+1", "\ufeff[]", '"\\', '"\\u',
    '"\\u0041', "[1,,2]", "[,1]", "{,}", "\t\n[\n1,\n  2 x]", '"\U0001f600" x', '["\U0001f600\U0001f600", 1 x]',
    "\r\n[1,\r\n2,\r\n]", "[1]\x0c", "\xa0[1]", "[1]]", '{"a":1}}', "1" * 4301, "[1, -" + "2" * 4301 + "]",
]

# (document, indent) pairs for json.dumps(json.loads(document), indent=indent)
DUMPS_INPUTS = [
    ('{"a": [1, {"b": [], "c": {}}, [2, [3]]], "d": "\\u00e9"}', indent)
    for indent in (0, 1, 2, 4, 8, -1)
]

FLOATS = [
    1e16, 1e15, 9999999999999998.0, 1e-4, 1e-5, 0.1 + 0.2, 5e-324, sys.float_info.max, sys.float_info.min,
    2.0 ** 53, 2.0 ** 53 + 2, 123456789.123, -0.0, 0.0, 1 / 3, 2 / 3, 1e21, 1e22, 1e23, 12500.0, 1.5,
    -1.5e-10, 4.35, 0.000123456789, 1.2345678901234567e-300, 1.2345678901234568e17, 123456789012345.67,
    1234567890123456.7, 100.0, 1e100, 9.999999999999999e22, float("nan"), float("inf"), float("-inf"),
]

REPR_STRINGS = [
    "", "abc", "it's", 'say "hi"', "both ' and \"", "\\", "\t\n\r", "\x00\x1f\x7f", "\x80\x9f\xa0\xad\xff",
    "\u00e9", "\u2028\u2029\u200b\ufeff", "\ud800", "\udfff", "a\udc80b", "\U0001F600", "\U000E0001",
    "\U0010FFFF", "\U000F0000", "\u0378", "\u0870", "\u08be", "\u0cf3", "\u2ffc", "\u31ef", "\U0002EBF0",
    "\U0001FAE8", "\U0001F6DC", "\u0600", "\u00a0", "\u3000", " ", "/nix/store/abc-foo-1.0",
    "/nix/store/x-\u00e9\u0301\U0001F600'\"\\\x1b[0m",
]

REPR_LISTS = [
    [], ["/nix/store/a", "/nix/store/b"], ["it's"], ['a"b'], ["'\""], ["\u00e9\U0001F600\x00"], [""],
    ["\u0cf3", "\u2ffc"],
]

PROBE = r"""
import json, platform, struct, sys
task = json.loads(sys.stdin.read())
out = {"version": platform.python_version()}

def outcome(fn):
    try:
        return {"ok": fn()}
    except json.JSONDecodeError as e:
        return {"error": "json.decoder.JSONDecodeError", "message": str(e), "pos": e.pos, "lineno": e.lineno, "colno": e.colno}
    except (ValueError, RecursionError) as e:
        return {"error": type(e).__name__, "message": str(e)}

if "json" in task:
    out["json"] = []
    for doc in task["json"]:
        def run():
            value = json.loads(doc)
            return {"dumps": json.dumps(value, indent=4), "repr": repr(value)}
        out["json"].append(outcome(run))
    out["dumps"] = [outcome(lambda: json.dumps(json.loads(d), indent=i)) for d, i in task["dumps"]]
    out["floats"] = []
    for bits in task["floats"]:
        x = struct.unpack(">d", bytes.fromhex(bits))[0]
        out["floats"].append({"repr": repr(x), "json": json.dumps(x)})
if "repr" in task:
    out["repr"] = [repr(s) for s in task["repr"]]
    out["lists"] = [repr(l) for l in task["lists"]]
sys.stdout.write(json.dumps(out))
"""


def interpreter(versions_dir, minor):
    def patch(path):
        part = os.path.basename(os.path.dirname(os.path.dirname(path))).split(".")[2]
        return int(part) if part.isdigit() else -1

    found = sorted(glob.glob(os.path.join(versions_dir, minor + ".*", "bin", "python3")), key=patch)
    if not found:
        sys.exit(f"no interpreter for Python {minor} under {versions_dir}")
    return found[-1]


def run(python, task):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONINTMAXSTRDIGITS"}
    result = subprocess.run([python, "-c", PROBE], input=json.dumps(task), capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout)


def lit(value):
    """A TS literal (JSON with ensure_ascii is valid TS for these shapes)."""
    return json.dumps(value, ensure_ascii=True)


def float_bits(x):
    return struct.pack(">d", x).hex()


def write_fixture(name, interpreters, cases):
    """test/fixtures/py-json/NAME: where the cases come from, then one case per line."""
    path = os.path.join(ROOT, "test", "fixtures", "py-json", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    head = {
        "generated_by": "python3 test/support/gen_py_fixed_cases.py (do not edit by hand: add inputs to the script and rerun it)",
        "interpreters": interpreters,
    }
    lines = ["{"] + [f"  {lit(k)}: {lit(v)}," for k, v in head.items()] + ['  "cases": [']
    lines += [f"    {lit(case)}," for case in cases]
    lines[-1] = lines[-1].rstrip(",")
    lines += ["  ]", "}"]
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


def replace_block(path, body):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    pattern = re.compile(r"(// BEGIN GENERATED[^\n]*\n).*?(// END GENERATED)", re.S)
    if not pattern.search(text):
        sys.exit(f"{path}: generated-block markers not found")
    text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text, count=1)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"updated {path}")


def main():
    versions_dir = sys.argv[1] if len(sys.argv) > 1 else "/root/.pyenv/versions"
    bits = [float_bits(x) for x in FLOATS]

    json_results = {v: run(interpreter(versions_dir, v), {"json": JSON_INPUTS, "dumps": DUMPS_INPUTS, "floats": bits}) for v in JSON_VERSIONS}
    json_versions = {v: json_results[v]["version"] for v in JSON_VERSIONS}
    write_fixture(
        "json-cases.json",
        json_versions,
        [{"input": doc, "expect": {v: json_results[v]["json"][i] for v in JSON_VERSIONS}} for i, doc in enumerate(JSON_INPUTS)],
    )
    base = json_results["3.11"]
    write_fixture(
        "dumps-cases.json",
        {"3.11": json_versions["3.11"]},
        [{"input": doc, "indent": indent, "expect": base["dumps"][i]["ok"]} for i, (doc, indent) in enumerate(DUMPS_INPUTS)],
    )
    write_fixture(
        "float-cases.json",
        {"3.11": json_versions["3.11"]},
        [{"bits": b, "repr": base["floats"][i]["repr"], "json": base["floats"][i]["json"]} for i, b in enumerate(bits)],
    )

    repr_results = {v: run(interpreter(versions_dir, v), {"repr": REPR_STRINGS, "lists": REPR_LISTS}) for v in ALL_VERSIONS}
    lines = ["const STR_CASES: readonly ReprCase<string>[] = ["]
    for i, s in enumerate(REPR_STRINGS):
        expect = ", ".join(f"{lit(v)}: {lit(repr_results[v]['repr'][i])}" for v in ALL_VERSIONS)
        lines.append(f"  {{ input: {lit(s)}, expect: {{ {expect} }} }},")
    lines.append("];")
    lines.append("const LIST_CASES: readonly ReprCase<string[]>[] = [")
    for i, l in enumerate(REPR_LISTS):
        expect = ", ".join(f"{lit(v)}: {lit(repr_results[v]['lists'][i])}" for v in ALL_VERSIONS)
        lines.append(f"  {{ input: {lit(l)}, expect: {{ {expect} }} }},")
    lines.append("];")
    replace_block(os.path.join(ROOT, "test", "py-repr.test.ts"), "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
