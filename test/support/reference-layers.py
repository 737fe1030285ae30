"""Runs the reference's archive_paths_to for a batch of layer cases.

usage: python3 reference-layers.py REFERENCE_DIR JOB.json
JOB.json: [{"paths": [...], "mtime": "<decimal>", "out": FILE, "digest": bool}]
With "digest", FILE receives {"sha256": ..., "size": ...} from the
reference's own ExtractChecksum instead of the tarball bytes.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import stream_layered_image as reference  # noqa: E402

with open(sys.argv[2]) as f:
    job = json.load(f)

for case in job:
    mtime = int(case["mtime"])
    if case.get("digest"):
        sink = reference.ExtractChecksum()
        reference.archive_paths_to(sink, case["paths"], mtime)
        sha256, size = sink.extract()
        with open(case["out"], "w") as out:
            json.dump({"sha256": sha256, "size": size}, out)
    else:
        with open(case["out"], "wb") as out:
            reference.archive_paths_to(out, case["paths"], mtime)
