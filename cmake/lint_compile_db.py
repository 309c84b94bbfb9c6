#!/usr/bin/env python3
"""Writes a compile database clang-tidy can use: IN (CMake's compile_commands.json) without
ccache, without GCC's precompiled header (-include .../cmake_pch.hxx: clang cannot read a .gch)
and without -Werror / -Winvalid-pch, to OUT.  Used by `./dev lint`.

    cmake/lint_compile_db.py build/compile_commands.json build/lint/compile_commands.json
"""
import json
import os
import shlex
import sys


def clean(args):
    if args and os.path.basename(args[0]) == "ccache":
        args = args[1:]
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == "-include":
            skip = True
        elif a not in ("-Winvalid-pch", "-Werror"):
            out.append(a)
    return out


def main(src, dst):
    with open(src) as f:
        entries = json.load(f)
    for e in entries:
        args = shlex.split(e.pop("command")) if "command" in e else e.pop("arguments")
        e["arguments"] = clean(args)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    with open(dst, "w") as f:
        json.dump(entries, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
