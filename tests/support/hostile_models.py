"""Hostile skops files: small zips that unpack to far more than they weigh, lie about it, or
record another scikit-learn than the one that saved them.

A skops file is a zip of ``schema.json`` and ``.npy`` members; ``zip_bomb`` builds one whose
schema names a single array member made of zeros, deflated (about 1,000 to 1).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np

_MEMBER = "1.npy"
_CHUNK = 1024 * 1024


def _schema(member: str = _MEMBER) -> bytes:
    return json.dumps(
        {
            "__class__": "ndarray",
            "__module__": "numpy",
            "__loader__": "NdArrayNode",
            "type": "numpy",
            "file": member,
            "__id__": 1,
            "protocol": 2,
            "_skops_version": "0.16.0",
        }
    ).encode()


def zip_bomb(unpacked_bytes: int) -> bytes:
    """A skops-shaped file whose array member unpacks to ``unpacked_bytes`` of zeros."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (unpacked_bytes,)}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", _schema())
        with archive.open(_MEMBER, "w", force_zip64=True) as member:
            member.write(header.getvalue())
            zeros = bytes(_CHUNK)
            left = unpacked_bytes
            while left > 0:
                member.write(zeros[: min(left, _CHUNK)])
                left -= _CHUNK
    return buffer.getvalue()


def understated(data_bytes: int, declared_bytes: int) -> bytes:
    """A skops-shaped file whose array member declares ``declared_bytes`` but inflates to
    ``data_bytes``: its local header and directory entry are rewritten after writing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", _schema())
        archive.writestr(_MEMBER, bytes(data_bytes))
    data = bytearray(buffer.getvalue())
    real = struct.pack("<L", data_bytes)
    lie = struct.pack("<L", declared_bytes)
    # Local header: uncompressed size at offset 22; directory entry: at offset 24.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = -1
        while (at := data.find(signature, at + 1)) >= 0:
            if data[at + offset : at + offset + 4] == real:
                data[at + offset : at + offset + 4] = lie
    return bytes(data)


def with_recorded_sklearn_version(data: bytes, version: str) -> bytes:
    """A skops file rewritten to record ``version`` as the scikit-learn that saved it, the way
    an old scikit-learn's file would."""
    source = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(source.read("schema.json"))
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            recorded = item.get("_sklearn_version")
            if isinstance(recorded, dict) and recorded.get("__loader__") == "JsonNode":
                recorded["content"] = json.dumps(version)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for member in source.infolist():
            content = json.dumps(schema).encode() if member.filename == "schema.json" else None
            target.writestr(member, content if content is not None else source.read(member))
    return buffer.getvalue()
