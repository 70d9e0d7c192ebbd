"""Throughput of the local artifact store: streamed upload (hash, write, fsync, rename) and
verified read of one artifact in fixed-size chunks.

    .venv/bin/python bench/artifacts_local.py                  # 100 MiB in 1 MiB chunks, 5 rounds
    .venv/bin/python bench/artifacts_local.py --mib 500 --chunk-kib 256 --rounds 3

Reads are measured twice: right after the upload (the file is in the page cache, as for a
recently uploaded model) and after asking the kernel to drop the file's cached pages
(posix_fadvise DONTNEED), which approaches a read from disk. SHA-256 alone over the same bytes is
printed as the ceiling both directions share. Works in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from slipway.ml.artifacts import LocalArtifactStore

MiB = 1 << 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=100, help="artifact size in MiB")
    parser.add_argument("--chunk-kib", type=int, default=1024, help="chunk size in KiB")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the median is printed")
    args = parser.parse_args()
    chunk_size = args.chunk_kib * 1024
    total = args.mib * MiB
    chunk = os.urandom(chunk_size)
    count = total // chunk_size

    def rate(seconds: list[float]) -> str:
        median = statistics.median(seconds)
        return f"{total / MiB / median:8.0f} MiB/s  (median {median * 1000:7.1f} ms)"

    hashing, uploads, warm, cold = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="slipway-bench-") as folder:
        store = LocalArtifactStore(Path(folder), max_bytes=total)
        for round_number in range(args.rounds):
            # A distinct artifact per round, so every upload creates a new file.
            prefix = round_number.to_bytes(8, "big")
            start = time.perf_counter()
            digest = hashlib.sha256()
            for _ in range(count):
                digest.update(chunk)
            hashing.append(time.perf_counter() - start)

            start = time.perf_counter()
            with store.begin_upload() as upload:
                upload.write(prefix + chunk[8:])
                for _ in range(count - 1):
                    upload.write(chunk)
                stored = upload.commit()
            uploads.append(time.perf_counter() - start)

            for timings in (warm, cold):
                if timings is cold:
                    fd = os.open(store.local_path(stored.sha256), os.O_RDONLY)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    os.close(fd)
                start = time.perf_counter()
                size = sum(len(part) for part in store.read(stored.sha256, chunk_size))
                timings.append(time.perf_counter() - start)
                assert size == total
            store.delete(stored.sha256)

    print(
        f"local artifact store: {args.mib} MiB artifact in {args.chunk_kib} KiB chunks, "
        f"median of {args.rounds} rounds"
    )
    print(f"  sha256 only (ceiling)        {rate(hashing)}")
    print(f"  upload (hash+write+fsync)    {rate(uploads)}")
    print(f"  read + verify, page cache    {rate(warm)}")
    print(f"  read + verify, cache dropped {rate(cold)}")


if __name__ == "__main__":
    main()
