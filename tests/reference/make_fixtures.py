"""Writes every reference fixture: runs each gen_*.py module's make(outdir) in this folder.

Usage: /usr/bin/python3 tests/reference/make_fixtures.py tests/reference/fixtures [module ...]
Needs Debian's python3-torch (and python3-numpy). The fixtures are committed, so tests need no Python."""
import glob
import importlib
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures")
    only = set(sys.argv[2:])
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    for path in sorted(glob.glob(os.path.join(here, "gen_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if only and name not in only:
            continue
        torch.manual_seed(1234)
        count = importlib.import_module(name).make(outdir)
        print(f"{name}: {count} fixtures")


if __name__ == "__main__":
    main()
