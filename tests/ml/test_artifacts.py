"""The local content-addressed artifact store: streamed, atomic, verified, and never a path from
a client's string."""

from __future__ import annotations

import builtins
import hashlib
import multiprocessing
import os
import signal
import stat
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipway.core.errors import (
    AbortedError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
)
from slipway.ml.artifacts import (
    ArtifactCorruptError,
    ArtifactTooLargeError,
    DigestMismatchError,
    LocalArtifactStore,
    StoredArtifact,
    validate_sha256,
)

MiB = 1 << 20


@pytest.fixture
def store(tmp_path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


def chunks(count: int, size: int = MiB, seed: int = 0) -> Iterator[bytes]:
    """Distinct, deterministic chunks made one at a time (never the whole artifact at once)."""
    block = (hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1))[:size]
    for i in range(count):
        yield i.to_bytes(8, "big") + block[8:]


def digest_of(parts: Iterator[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for part in parts:
        digest.update(part)
        size += len(part)
    return digest.hexdigest(), size


def upload(
    store: LocalArtifactStore, parts: Iterator[bytes] | list[bytes], expected: str | None = None
) -> StoredArtifact:
    with store.begin_upload() as up:
        for part in parts:
            up.write(part)
        return up.commit(expected)


def part_files(store: LocalArtifactStore) -> list[Path]:
    return sorted((store.root / "uploads").iterdir())


def artifact_files(store: LocalArtifactStore) -> list[Path]:
    return sorted(p for p in (store.root / "sha256").rglob("*") if p.is_file())


# --- round trips -------------------------------------------------------------------------------


def test_small_round_trip_and_layout(store):
    data = b"a small model"
    sha256 = hashlib.sha256(data).hexdigest()
    stored = upload(store, [data[:5], data[5:]], expected=sha256)
    assert stored == StoredArtifact(sha256, len(data), store.uri(sha256))
    path = store.root / "sha256" / sha256[:2] / sha256
    assert stored.uri == path.as_uri()
    assert stored.uri.startswith("file:///")
    assert store.local_path(sha256) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert store.exists(sha256)
    assert store.size(sha256) == len(data)
    assert store.verify(sha256)
    assert b"".join(store.read(sha256, chunk_size=3)) == data
    assert part_files(store) == []


def test_the_running_digest_and_size_follow_the_writes(store):
    up = store.begin_upload()
    assert (up.size, up.sha256) == (0, hashlib.sha256().hexdigest())
    up.write(b"abc")
    up.write(memoryview(b"def"))
    assert (up.size, up.sha256) == (6, hashlib.sha256(b"abcdef").hexdigest())
    up.abort()


def test_an_empty_artifact_is_an_artifact(store):
    stored = upload(store, [])
    assert (stored.size, stored.sha256) == (0, hashlib.sha256().hexdigest())
    assert list(store.read(stored.sha256)) == []


def test_a_50_mb_artifact_streams_in_and_out_without_being_held_in_memory(store):
    count = 50
    expected, size = digest_of(chunks(count))
    tracemalloc.start()
    try:
        stored = upload(store, chunks(count), expected=expected)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read_sha256, read_size = digest_of(store.read(expected))
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (stored.sha256, stored.size) == (expected, size) == (read_sha256, read_size)
    assert store.size(expected) == 50 * MiB
    # A few chunks in flight at most: the artifact is neither held whole nor copied.
    assert upload_peak < 8 * MiB, upload_peak
    assert read_peak < 8 * MiB, read_peak


def test_read_streams_in_the_chunk_size_asked_for(store):
    stored = upload(store, chunks(3, size=1000))
    sizes = [len(chunk) for chunk in store.read(stored.sha256, chunk_size=512)]
    assert sizes == [512] * 5 + [3000 - 5 * 512]


# --- refusals while uploading ------------------------------------------------------------------


def test_a_digest_mismatch_is_refused_naming_both_digests_and_leaves_nothing(store):
    actual = hashlib.sha256(b"what arrived").hexdigest()
    declared = hashlib.sha256(b"what was announced").hexdigest()
    with pytest.raises(DigestMismatchError) as caught:
        upload(store, [b"what arrived"], expected=declared)
    error = caught.value
    assert isinstance(error, InvalidArgumentError)
    assert error.reason == "SHA256_MISMATCH"
    assert declared in error.message
    assert actual in error.message
    assert error.metadata == {"expected_sha256": declared, "actual_sha256": actual}
    assert not store.exists(actual)
    assert (artifact_files(store), part_files(store)) == ([], [])


def test_a_malformed_declared_digest_is_refused_before_anything_is_committed(store):
    with pytest.raises(InvalidArgumentError) as caught:
        upload(store, [b"x"], expected="../" + "a" * 61)
    assert caught.value.field_violations[0].field == "expected_sha256"
    assert (artifact_files(store), part_files(store)) == ([], [])


def test_too_large_is_refused_while_streaming_and_stops_early(tmp_path):
    store = LocalArtifactStore(tmp_path, max_bytes=10 * MiB)
    consumed = 0

    def endless() -> Iterator[bytes]:
        nonlocal consumed
        for chunk in chunks(1000):
            consumed += 1
            yield chunk

    up = store.begin_upload()

    def send_all() -> None:
        for chunk in endless():
            up.write(chunk)

    with pytest.raises(ArtifactTooLargeError) as caught:
        send_all()
    assert isinstance(caught.value, ResourceExhaustedError)
    assert caught.value.reason == "ARTIFACT_TOO_LARGE"
    assert consumed == 11  # the chunk that crossed the limit, and not one more
    assert up.size == 10 * MiB
    assert part_files(store) == []  # the useless partial upload is gone at once
    with pytest.raises(FailedPreconditionError):
        up.write(b"more")


def test_exactly_the_limit_is_accepted(tmp_path):
    store = LocalArtifactStore(tmp_path, max_bytes=3000)
    assert upload(store, chunks(3, size=1000)).size == 3000


def test_abort_removes_the_part_file_and_is_idempotent(store):
    up = store.begin_upload()
    up.write(b"half an artifact")
    assert len(part_files(store)) == 1
    up.abort()
    up.abort()
    assert (artifact_files(store), part_files(store)) == ([], [])
    with pytest.raises(FailedPreconditionError) as caught:
        up.commit()
    assert caught.value.reason == "UPLOAD_CLOSED"


def test_an_upload_dropped_without_commit_is_cleaned_up(store):
    up = store.begin_upload()
    up.write(b"forgotten")
    del up
    assert part_files(store) == []


def test_a_failed_block_aborts_the_upload(store):
    def interrupted() -> None:
        with store.begin_upload() as up:
            up.write(b"some")
            raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError):
        interrupted()
    assert (artifact_files(store), part_files(store)) == ([], [])


def test_an_upload_is_never_readable_before_commit(store):
    data = b"not yet"
    sha256 = hashlib.sha256(data).hexdigest()
    up = store.begin_upload()
    up.write(data)
    assert not store.exists(sha256)
    with pytest.raises(NotFoundError):
        store.read(sha256)
    up.commit(sha256)
    assert store.exists(sha256)


# --- stale uploads and crashed writers ---------------------------------------------------------


def test_cleanup_removes_only_stale_part_files(store):
    stale = store.begin_upload()
    [stale_part] = part_files(store)
    fresh = store.begin_upload()
    stale.write(b"old")
    fresh.write(b"new")
    an_hour_ago = time.time() - 7200
    os.utime(stale_part, (an_hour_ago, an_hour_ago))
    (store.root / "uploads" / "unrelated.txt").write_text("not ours")
    assert store.cleanup_stale_uploads(older_than_seconds=3600) == 1
    assert not stale_part.exists()
    assert len(part_files(store)) == 2  # the fresh upload and the unrelated file
    # The live upload whose file was cleaned up cannot commit a partial artifact.
    with pytest.raises(AbortedError) as caught:
        stale.commit()
    assert caught.value.reason == "UPLOAD_EXPIRED"
    assert fresh.commit().sha256 == hashlib.sha256(b"new").hexdigest()


def _write_then_hang(root: str, ready: multiprocessing.synchronize.Event) -> None:
    """Child process: half an upload, then wait to be killed."""
    up = LocalArtifactStore(Path(root)).begin_upload()
    for chunk in chunks(5):
        up.write(chunk)
    up._file.flush()  # make the bytes visible to the parent
    ready.set()
    time.sleep(60)


def test_a_writer_killed_mid_upload_leaves_no_artifact_and_cleanup_removes_its_part(store):
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_write_then_hang, args=(str(store.root), ready))
    child.start()
    try:
        assert ready.wait(timeout=30)
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    finally:
        if child.is_alive():
            child.kill()
    assert child.exitcode == -signal.SIGKILL
    whole, _ = digest_of(chunks(10))
    partial, _ = digest_of(chunks(5))
    assert not store.exists(whole)
    assert not store.exists(partial)
    assert artifact_files(store) == []
    [part] = part_files(store)
    assert part.stat().st_size == 5 * MiB
    assert store.cleanup_stale_uploads(older_than_seconds=3600) == 0  # still recent
    assert store.cleanup_stale_uploads(older_than_seconds=0) == 1
    assert part_files(store) == []


# --- corruption --------------------------------------------------------------------------------


def _damage(path: Path, offset: int) -> None:
    path.chmod(0o644)
    with path.open("r+b") as file:
        file.seek(offset)
        byte = file.read(1)
        file.seek(offset)
        file.write(bytes([byte[0] ^ 0x01]))


def test_a_file_corrupted_on_disk_is_detected_by_read_and_verify(store):
    stored = upload(store, chunks(3, size=4096))
    _damage(store.local_path(stored.sha256), 5000)
    assert store.verify(stored.sha256) is False
    stream = store.read(stored.sha256, chunk_size=4096)
    received = []

    def receive_all() -> None:
        for chunk in stream:
            received.append(chunk)

    with pytest.raises(ArtifactCorruptError) as caught:
        receive_all()
    assert len(received) == 3  # every chunk was sent; the verdict comes at the end
    assert isinstance(caught.value, FailedPreconditionError)
    assert caught.value.reason == "ARTIFACT_CORRUPT"
    assert stored.sha256 in caught.value.message


def test_uploading_the_same_content_again_repairs_a_corrupted_copy(store):
    stored = upload(store, chunks(2, size=4096))
    _damage(store.local_path(stored.sha256), 10)
    again = upload(store, chunks(2, size=4096), expected=stored.sha256)
    assert again == stored
    assert store.verify(stored.sha256)


# --- concurrency -------------------------------------------------------------------------------


def test_concurrent_uploads_of_the_same_content_all_succeed_with_one_file(store):
    expected, size = digest_of(chunks(8, size=256 * 1024))
    barrier = threading.Barrier(4)
    results: list[StoredArtifact] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with store.begin_upload() as up:
                for i, chunk in enumerate(chunks(8, size=256 * 1024)):
                    up.write(chunk)
                    if i == 4:
                        barrier.wait(timeout=30)  # all four are mid-upload together
                results.append(up.commit(expected))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert results == [StoredArtifact(expected, size, store.uri(expected))] * 4
    assert artifact_files(store) == [store.local_path(expected)]
    assert part_files(store) == []
    assert store.verify(expected)


def test_concurrent_uploads_of_different_content(store):
    def worker(seed: int) -> None:
        upload(store, chunks(4, size=64 * 1024, seed=seed))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(artifact_files(store)) == 6
    assert part_files(store) == []


def test_a_read_in_progress_survives_a_delete(store):
    stored = upload(store, chunks(4, size=4096))
    stream = store.read(stored.sha256, chunk_size=4096)
    first = next(stream)
    store.delete(stored.sha256)
    assert digest_of(iter([first, *stream]))[0] == stored.sha256
    assert not store.exists(stored.sha256)


# --- absent artifacts and hostile names --------------------------------------------------------


def test_absent_artifacts_are_not_found_and_delete_is_idempotent(store):
    absent = "0" * 64
    assert store.exists(absent) is False
    for call in (store.size, store.read, store.verify, store.local_path):
        with pytest.raises(NotFoundError) as caught:
            call(absent)
        assert caught.value.reason == "ARTIFACT_MISSING"
    store.delete(absent)
    stored = upload(store, [b"gone soon"])
    store.delete(stored.sha256)
    store.delete(stored.sha256)
    assert not store.exists(stored.sha256)


HOSTILE = [
    "",
    "../../etc/passwd",
    "/etc/passwd",
    "a" * 63,
    "a" * 65,
    "A" * 64,
    "g" * 64,
    "a" * 62 + "/a",
    "../" + "a" * 61,
    "a" * 64 + "\n",
    " " + "a" * 63,
    "a" * 63 + "\x00",
    "\u0430" * 64,  # a Cyrillic letter that looks like a
    "sha256:" + "a" * 64,
    None,
    64,
]


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_malformed_digests_are_refused_before_touching_the_file_system(name, store, monkeypatch):
    def no_file_system(*args, **kwargs):
        raise AssertionError(f"the file system was touched for {name!r}")

    for target, attribute in (
        (os, "stat"),
        (os, "lstat"),
        (os, "open"),
        (os, "unlink"),
        (os, "scandir"),
        (builtins, "open"),
        (Path, "open"),
    ):
        monkeypatch.setattr(target, attribute, no_file_system)
    calls = (
        store.exists,
        store.size,
        store.read,
        store.verify,
        store.local_path,
        store.uri,
        store.delete,
        store.path_of,
        validate_sha256,
    )
    for call in calls:
        with pytest.raises(InvalidArgumentError) as caught:
            call(name)
        assert caught.value.reason == "INVALID_SHA256"
        assert caught.value.field_violations[0].field == "sha256"
    with pytest.raises(AssertionError, match="file system was touched"):
        store.exists("0" * 64)  # the guard works: a well-formed digest does reach the disk
