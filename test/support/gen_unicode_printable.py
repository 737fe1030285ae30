#!/usr/bin/env python3
"""Regenerate src/py/unicode/unicode-printable.ts from the CPython interpreters themselves.

Usage (from the repository root):

    python3 test/support/gen_unicode_printable.py [PYENV_VERSIONS_DIR]

PYENV_VERSIONS_DIR defaults to /root/.pyenv/versions; it must contain one
3.X.Y/bin/python3 per supported minor version (3.8 ... 3.13).

repr() of a str escapes every character for which str.isprintable() is False,
and that predicate follows each interpreter's own Unicode database (3.8:
12.1, 3.9/3.10: 13.0, 3.11: 14.0, 3.12: 15.0, 3.13: 15.1).  Rather than
re-deriving it from Unicode data files, we ask every interpreter for the
ranges of non-printable code points and store them as one base list (the
newest version) plus per-version additions and removals.
"""
import glob
import os
import subprocess
import sys

VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
BASE_VERSION = "3.13"

# Runs inside each interpreter: prints "start end" for every maximal run of
# code points whose chr(cp).isprintable() is False.
PROBE = r"""
import sys, unicodedata
start = None
for cp in range(0x110000):
    nonprintable = not chr(cp).isprintable()
    if nonprintable and start is None:
        start = cp
    elif not nonprintable and start is not None:
        print(start, cp - 1)
        start = None
if start is not None:
    print(start, 0x10FFFF)
print("#", sys.version.split()[0], unicodedata.unidata_version)
"""


def find_interpreter(versions_dir, minor):
    def patch_level(path):
        release = os.path.basename(os.path.dirname(os.path.dirname(path)))
        return int(release.split(".")[2]) if release.split(".")[2].isdigit() else -1

    # Newest patch release of that minor version (e.g. 3.8.18 for "3.8").
    candidates = sorted(glob.glob(os.path.join(versions_dir, minor + ".*", "bin", "python3")), key=patch_level)
    if not candidates:
        sys.exit(f"no interpreter for Python {minor} under {versions_dir}")
    return candidates[-1]


def probe(interpreter):
    out = subprocess.run([interpreter, "-c", PROBE], check=True, capture_output=True, text=True).stdout
    ranges, info = [], None
    for line in out.splitlines():
        if line.startswith("#"):
            info = line[2:]
        else:
            a, b = line.split()
            ranges.append((int(a), int(b)))
    return ranges, info


def to_set(ranges):
    points = set()
    for a, b in ranges:
        points.update(range(a, b + 1))
    return points


def to_ranges(points):
    out = []
    for cp in sorted(points):
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return [tuple(r) for r in out]


def ts_ranges(ranges, indent="  "):
    if not ranges:
        return "[]"
    items = [f"0x{a:x}, 0x{b:x}" for a, b in ranges]
    lines = []
    for i in range(0, len(items), 6):
        lines.append(indent + "  " + ", ".join(items[i:i + 6]) + ",")
    return "[\n" + "\n".join(lines) + "\n" + indent + "]"


def main():
    versions_dir = sys.argv[1] if len(sys.argv) > 1 else "/root/.pyenv/versions"
    data = {}
    for minor in VERSIONS:
        data[minor] = probe(find_interpreter(versions_dir, minor))
    base_ranges = data[BASE_VERSION][0]
    base = to_set(base_ranges)

    out = []
    out.append("// GENERATED FILE - do not edit by hand.")
    out.append("// Regenerate with: python3 test/support/gen_unicode_printable.py")
    out.append("// Source: chr(cp).isprintable() evaluated by each interpreter:")
    for minor in VERSIONS:
        out.append(f"//   Python {data[minor][1].split()[0]} (Unicode {data[minor][1].split()[1]})")
    out.append("")
    out.append('import type { PythonVersion } from "../version.ts";')
    out.append("")
    out.append("/** Version whose non-printable ranges form NONPRINTABLE_BASE. */")
    out.append(f'export const NONPRINTABLE_BASE_VERSION: PythonVersion = "{BASE_VERSION}";')
    out.append("")
    out.append("/**")
    out.append(" * Code points for which str.isprintable() is False in the base version, as")
    out.append(" * flattened inclusive [start, end] pairs in ascending order.")
    out.append(" */")
    out.append(f"export const NONPRINTABLE_BASE: readonly number[] = {ts_ranges(base_ranges, '')};")
    out.append("")
    out.append("/**")
    out.append(" * Per version, inclusive [start, end] pairs to add to (`nonPrintable`) or")
    out.append(" * remove from (`printable`) the base set.  Older Unicode databases leave")
    out.append(" * later-assigned characters unassigned (Cn), hence non-printable.")
    out.append(" */")
    out.append("export const NONPRINTABLE_DIFF: Record<PythonVersion, { nonPrintable: readonly number[]; printable: readonly number[] }> = {")
    for minor in VERSIONS:
        points = to_set(data[minor][0])
        added = to_ranges(points - base)
        removed = to_ranges(base - points)
        out.append(f'  "{minor}": {{')
        out.append(f"    nonPrintable: {ts_ranges(added, '    ')},")
        out.append(f"    printable: {ts_ranges(removed, '    ')},")
        out.append("  },")
    out.append("};")
    out.append("")

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.path.join(root, "src", "py", "unicode", "unicode-printable.ts")
    with open(target, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(out))
    print(f"wrote {target} ({os.path.getsize(target)} bytes)")


if __name__ == "__main__":
    main()
