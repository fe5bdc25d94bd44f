#!/usr/bin/env python3
"""Materialize HEAD of a fetched (bare, possibly incomplete) snapshot into a directory.

Usage: extract.py GIT_DIR DEST [REV]   (REV defaults to HEAD; use the commit from repos.tsv to pin)
Skips blobs missing from the snapshot (files >= 4 MiB are absent) and data/binary files.
Prints a summary: files written, skipped-missing, skipped-data.
"""

import fnmatch
import os
import subprocess
import sys

SKIP = [
    "*.png",
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.npz",
    "*.npy",
    "*.h5",
    "*.hdf5",
    "*.pkl",
    "*.pkl.gz",
    "*.pt",
    "*.pth",
    "*.pyd",
    "*.so",
    "*.pyc",
    "*.zip",
    "*.tar.gz",
    "*.tgz",
    "*.mat",
    "*.gz",
    "*data_batch_*",
    "*test_batch",
    "*batches.meta",
    "*.pdf",
    "*.ckpt*",
    "*.bin",
    "*.jar",
    "*.o",
    "*.obj",
    "*.exp",
    "*.lib",
]


def main(gitdir, dest, rev="HEAD"):
    out = subprocess.run(
        ["git", "--git-dir", gitdir, "ls-tree", "-r", "-z", rev], capture_output=True, check=True
    ).stdout
    wrote = missing = skipped = 0
    missing_list = []
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, typ, sha = meta.split()
        path = path.decode("utf-8", "surrogateescape")
        if typ != b"blob" or mode == b"120000":
            continue
        if any(fnmatch.fnmatch(path.lower(), p) for p in SKIP):
            skipped += 1
            continue
        r = subprocess.run(["git", "--git-dir", gitdir, "cat-file", "blob", sha.decode()], capture_output=True)
        if r.returncode != 0:
            missing += 1
            missing_list.append(path)
            continue
        full = os.path.join(dest, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(r.stdout)
        wrote += 1
    print(f"wrote={wrote} missing={missing} skipped_data={skipped}")
    for m in missing_list:
        print("  missing:", m)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(sys.argv[3:4]))
