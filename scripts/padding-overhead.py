#!/usr/bin/env python3
"""What Padmé padding (docs/FORMAT.md) costs on a folder of photos.

    python3 scripts/padding-overhead.py [FOLDER...]   (default: ../shared/testdata/images)

Prints the total size of the files, their padded size and the overhead, with the median
and the largest overhead of a single file. Written from FORMAT.md's rule, not the code.
"""
import os, statistics, sys

def padme(length):
    if length < 2:
        return length
    e = length.bit_length() - 1          # floor(log2 L)
    z = e - e.bit_length()               # E - (floor(log2 E) + 1)
    mask = (1 << z) - 1
    return (length + mask) & ~mask

folders = sys.argv[1:] or [os.path.join(os.path.dirname(__file__), "..", "..", "shared", "testdata", "images")]
sizes = [os.path.getsize(os.path.join(root, f)) for folder in folders for root, _, files in os.walk(folder)
         for f in files if not f.endswith(".md")]
total, padded = sum(sizes), sum(padme(n) for n in sizes)
each = [100 * (padme(n) - n) / n for n in sizes if n]
print(f"{len(sizes)} files: {total:,} bytes, padded {padded:,}: overhead {100 * (padded - total) / total:.2f}%"
      f" (median {statistics.median(each):.2f}%, largest {max(each):.1f}%)")
