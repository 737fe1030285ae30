#!/usr/bin/env python3
"""Print the fixed tables of test/py-datetime-fixed.test.ts (FIXED_ISO) and
test/py-datetime-tz.test.ts (FIXED_TZ), as CPython computes them.

Usage (from anywhere, with python3 >= 3.8; it calls the six pyenv
interpreters under /root/.pyenv/versions):

    python3 test/support/gen_py_datetime_fixed.py

The first block is FIXED_ISO's rows: fromisoformat + isoformat() +
int(timestamp()) under TZ=America/New_York, per version.  After an empty
line, FIXED_TZ's rows: naive wall times under various TZ settings (local
time is the C library's, the same for every version; run with 3.13), the
TZ-unset row as /etc/localtime gives it (UTC where the tables were printed).
The rows are pasted verbatim into the tables; nothing in them is typed by
hand.
"""
import json, os, subprocess
VERSIONS = {"3.8": "3.8.18", "3.9": "3.9.18", "3.10": "3.10.13", "3.11": "3.11.7", "3.12": "3.12.1", "3.13": "3.13.0"}
DRIVER = r'''
import sys, json
from datetime import datetime
out = []
for s in json.loads(sys.stdin.read()):
    try:
        d = datetime.fromisoformat(s)
    except Exception as e:
        out.append("error %s: %s" % (type(e).__name__, e))
        continue
    try:
        ts = str(int(d.timestamp()))
    except Exception as e:
        ts = "error %s: %s" % (type(e).__name__, e)
    out.append("%s | %s" % (d.isoformat(), ts))
print(json.dumps(out))
'''
INPUTS = [
    "2020-01-01T12:34:56", "2020-01-01", "2020-01-01T12:34:56.123", "2020-01-01T12:34:56.123456+05:30",
    "2020-01-01 12:34:56+00:00", "2020-01-01T12:34:56.000000-00:00", "2020-01-01T12:34:56Z",
    "20200101T123456", "2020-W01-3T08:00", "2020W013", "2020-01-01T12:34:56,5", "2020-01-01T12:34:56.1234567",
    "2020-01-01T12", "2020-01-01T1234", "2020-01-01T12:34+0530", "2020-01-01T12:34:56:789",
    "2020-01-01T12000012", "2020-01-01T24:00:00", "2020-13-01", "2020-04-31", "0000-01-01", "2020-01-01T12:60",
    "2020-01-01T12:00+24:00", "2020-01-01T12:00-00:00:00.5", "2020-01-01T12:00+00:99", "2020-001", "0000-W01-1",
    "2020-01-01\ud80012:00", "2020-01-01\u00e912:00", "2020-01-01T12:00\U0001fae8", "it's 'now'",
    "2021-03-14T02:30:00", "2021-11-07T01:30:00", "1883-11-18T12:03:57", "2300-07-01T12:00:00",
    "1969-12-31T23:59:59.500000", "1969-12-31T23:59:59.5+00:00", "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59", "0001-01-01T00:00:00", "0001-01-01T05:00:00", "0001-01-01T00:00:00+00:00",
]
rows = {}
for v, full in VERSIONS.items():
    py = "/root/.pyenv/versions/%s/bin/python3" % full
    env = dict(os.environ, TZ="America/New_York")
    out = subprocess.run([py, "-c", DRIVER], input=json.dumps(INPUTS), capture_output=True, text=True, env=env, check=True).stdout
    for s, o in zip(INPUTS, json.loads(out)):
        rows.setdefault(s, []).append(o)
for s, outs in rows.items():
    if len(set(outs)) == 1:
        val = outs[0]  # same in every version
    elif len(set(outs[:3])) == 1 and len(set(outs[3:])) == 1:
        val = [outs[0], outs[3]]  # [3.8-3.10, 3.11-3.13]
    else:
        val = outs  # one per version, 3.8 .. 3.13
    val = json.dumps(val, ensure_ascii=False)
    print("  [%s, %s]," % (json.dumps(s), val))

# Naive wall times under various TZ settings (local time is the C library's,
# the same for every version; run with 3.13).
ZONES = [None, "", "UTC", "America/New_York", ":Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia",
         "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "AAA3BBB", "NZST-12NZDT,M9.5.0,M4.1.0/3", "Foo/Bar",
         "right/Europe/Paris"]
WALL = ["1960-07-01T12:00:00", "2021-07-01T12:00:00", "2021-10-03T02:15:00", "2011-12-30T12:00:00",
        "2040-07-01T12:00:00", "2300-01-15T12:00:00"]
py = "/root/.pyenv/versions/3.13.0/bin/python3"
print()
for tz in ZONES:
    env = dict(os.environ)
    env.pop("TZ", None)
    if tz is not None:
        env["TZ"] = tz
    out = subprocess.run([py, "-c", DRIVER], input=json.dumps(WALL), capture_output=True, text=True, env=env, check=True).stdout
    stamps = [o.split(" | ")[1] for o in json.loads(out)]
    print("  [%s, [%s]]," % (json.dumps(tz) if tz is not None else "undefined", ", ".join(stamps)))
