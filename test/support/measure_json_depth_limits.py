#!/usr/bin/env python3
"""Measure how deeply nested a conf may be before the reference script fails
with RecursionError, per interpreter: the numbers behind
REFERENCE_JSON_LOAD_MAX_DEPTH (src/py/json/json-decode.ts) and
REFERENCE_JSON_DUMP_MAX_DEPTH (src/py/json/json-encode.ts).

Usage (from the repository root; takes a minute):

    python3 test/support/measure_json_depth_limits.py [PYENV_VERSIONS_DIR]

Depth counts containers from the root of the document, empty ones included:
the conf object itself is depth 1.  Two placements are bisected:
  * nesting under an unused conf key: only json.load sees it, so the largest
    accepted total depth is the load limit;
  * nesting as conf["config"], which json.dumps(image_json, indent=4) also
    encodes at the same depth (image_json's root + config's levels): the
    largest working depth is min(load limit, dump limit).
Runs the real reference script with an empty store_layers list and a dummy
customisation layer, so the Python frames above json.load / json.dumps are
exactly the reference's.
"""
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.environ.get("REFERENCE_SCRIPT", "/work/shared/reference/stream_layered_image.py")
VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]


def interpreter(versions_dir, minor):
    def patch(path):
        part = os.path.basename(os.path.dirname(os.path.dirname(path))).split(".")[2]
        return int(part) if part.isdigit() else -1

    found = sorted(glob.glob(os.path.join(versions_dir, minor + ".*", "bin", "python3")), key=patch)
    if not found:
        sys.exit(f"no interpreter for Python {minor} under {versions_dir}")
    return found[-1]


def works(python, workdir, placement, total_depth):
    inner_depth = total_depth - 1  # the conf object is level 1
    inner = "[" * inner_depth + "]" * inner_depth
    config = inner if placement == "config" else "{}"
    junk = inner if placement == "junk" else "0"
    conf = (
        '{"created": "1970-01-01T00:00:01+00:00", "architecture": "amd64", "repo_tag": "x:y", '
        f'"store_layers": [], "customisation_layer": "{workdir}/layer", "config": {config}, "junk": {junk}}}'
    )
    path = os.path.join(workdir, "conf.json")
    with open(path, "w") as f:
        f.write(conf)
    result = subprocess.run([python, REFERENCE, path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if result.returncode != 0 and b"RecursionError" not in result.stderr:
        sys.exit(f"{python}: unexpected failure:\n{result.stderr.decode()}")
    return result.returncode == 0


def largest_working(python, workdir, placement):
    lo, hi = 2, 20000  # lo works, hi is an upper bound
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if works(python, workdir, placement, mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def main():
    versions_dir = sys.argv[1] if len(sys.argv) > 1 else "/root/.pyenv/versions"
    print("version  load-limit  config-limit")
    for minor in VERSIONS:
        python = interpreter(versions_dir, minor)
        with tempfile.TemporaryDirectory() as workdir:
            os.mkdir(os.path.join(workdir, "layer"))
            with open(os.path.join(workdir, "layer", "checksum"), "w") as f:
                f.write("0" * 64)
            open(os.path.join(workdir, "layer", "layer.tar"), "wb").close()
            load = largest_working(python, workdir, "junk")
            config = largest_working(python, workdir, "config")
        # config-limit < load-limit means json.dumps binds: its limit is config-limit.
        print(f"{minor:7}  {load:10}  {config:12}")


if __name__ == "__main__":
    main()
