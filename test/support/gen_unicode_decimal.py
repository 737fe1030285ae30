#!/usr/bin/env python3
"""Regenerate src/py/unicode/unicode-decimal.ts from the CPython interpreters themselves.

Usage (from the repository root):

    python3 test/support/gen_unicode_decimal.py [PYENV_VERSIONS_DIR]

int(str) reads every character whose Unicode decimal value is defined (what
str.isdecimal() tests) as that digit, and which characters have one follows
each interpreter's own Unicode database.  Decimal digits come in runs of ten
(0..9); we ask every interpreter for the first code point of each run.
"""
import glob
import os
import subprocess
import sys

VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]

PROBE = r"""
import sys, unicodedata
starts = []
for cp in range(0x110000):
    ch = chr(cp)
    if ch.isdecimal():
        value = unicodedata.decimal(ch)
        if value == 0:
            starts.append(cp)
        # Every decimal digit must sit in a run of ten starting at its zero.
        assert cp - value in starts, hex(cp)
print(sys.version.split()[0], unicodedata.unidata_version)
print(" ".join(str(s) for s in starts))
"""


def interpreter(root, version):
    found = sorted(glob.glob(os.path.join(root, version + ".*", "bin", "python3")))
    if not found:
        sys.exit(f"no python {version} under {root}")
    return found[-1]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "/root/.pyenv/versions"
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "..", "src", "py", "unicode", "unicode-decimal.ts")
    header = []
    tables = []
    for version in VERSIONS:
        out = subprocess.run([interpreter(root, version), "-c", PROBE], check=True, capture_output=True, text=True).stdout.split("\n")
        full, unidata = out[0].split()
        header.append(f"//   Python {full} (Unicode {unidata})")
        tables.append(f'  "{version}": [{", ".join(out[1].split())}],')
    text = "\n".join([
        "// GENERATED FILE - do not edit by hand.",
        "// Regenerate with: python3 test/support/gen_unicode_decimal.py",
        "// Source: the zero of every run of ten decimal digits (str.isdecimal()) per interpreter:",
        *header,
        "",
        'import type { PythonVersion } from "../version.ts";',
        "",
        "/** First code point (the digit zero) of each run of ten decimal digits, ascending. */",
        "export const DECIMAL_RUN_STARTS: Readonly<Record<PythonVersion, readonly number[]>> = {",
        *tables,
        "};",
        "",
    ])
    with open(target, "w") as f:
        f.write(text)


main()
