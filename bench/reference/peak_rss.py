#!/usr/bin/python3
"""Peak memory of a command and all its descendants (e.g. DataLoader worker processes).

  /usr/bin/python3 bench/reference/peak_rss.py OUT_FILE -- COMMAND [ARGS...]

Samples /proc/<pid>/smaps_rollup of the process tree every 0.2 s and writes to OUT_FILE
  peak_rss_kb <max over samples of the summed Rss>
  peak_pss_kb <max over samples of the summed Pss>
Summed Rss counts pages shared between the processes (libraries, copy-on-write dataset
arrays) once per process; Pss splits them, so it is the fairer total for a multi-process
program. The command's stdout/stderr pass through; the exit code is the command's.
"""
import os
import subprocess
import sys
import time


def children_of(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return kids


def tree(pid):
    out, pending = [], [pid]
    while pending:
        p = pending.pop()
        out.append(p)
        pending += children_of(p)
    return out


def rollup(pid):
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    out_file, cmd = sys.argv[1], sys.argv[3:]
    proc = subprocess.Popen(cmd)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss = pss = 0
        for p in tree(proc.pid):
            r, s = rollup(p)
            rss += r
            pss += s
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.2)
    with open(out_file, "w") as f:
        f.write(f"peak_rss_kb {peak_rss}\npeak_pss_kb {peak_pss}\n")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
