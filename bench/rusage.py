"""Runs a command as a child and writes what it cost to a JSON file (bench/baseline.ts).

Usage: python3 bench/rusage.py REPORT.json COMMAND [ARG...]

wait4() gives the child's own rusage (user + sys CPU, ru_maxrss: peak RSS), whatever the
language of the child. Epoch times (time.time(), the realtime clock) let the bench compare the
spawn and the exit with the arrival times the mock server reports on the same clock.
"""

import json
import os
import sys
import time

report, command = sys.argv[1], sys.argv[2:]
spawn_epoch = time.time()
began = time.perf_counter()
pid = os.posix_spawnp(command[0], command, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - began
exit_epoch = time.time()
code = os.waitstatus_to_exitcode(status)
with open(report, "w", encoding="utf-8") as out:
    json.dump(
        {
            "wallSeconds": wall,
            "cpuSeconds": usage.ru_utime + usage.ru_stime,
            "peakRssMb": usage.ru_maxrss / 1024,
            "spawnEpochMs": spawn_epoch * 1000,
            "exitEpochMs": exit_epoch * 1000,
            "code": code,
        },
        out,
    )
sys.exit(code if code >= 0 else 1)
