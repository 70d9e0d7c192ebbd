"""Model files: scikit-learn models saved with skops and loaded only through ``load_model``.

A skops file is a zip of numpy arrays and a JSON schema naming the type of every object in it;
loading builds those objects without running code from the file, provided each type is trusted.
skops' own defaults are broader than we want: they trust every scikit-learn estimator (including
``FunctionTransformer``, which calls whatever function it holds) and every numpy ufunc. So every
type and function the schema names is checked against ``TRUSTED_TYPES``, an explicit list of what
the training service produces, and skops is then given that same list as ``trusted``.

Trusting a type does not make its content safe. ``sklearn.tree._tree.Tree``, the
``TreePredictor`` of HistGradientBoosting and the k-d and ball trees of k-NN hold node and sample
indices that scikit-learn's compiled code follows without bounds checks: a crafted file made only
of trusted types can crash the process at its first prediction. ``load_model`` therefore checks
their structure (indices in range, children after their parent, feature indices within the
model's width) before returning the model.

Pickle and joblib files can run arbitrary code when loaded and are refused unless the caller
explicitly allows them, which is logged.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import platform
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from slipway.core.errors import FailedPreconditionError, InvalidArgumentError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.ml.artifacts import ArtifactCorruptError, validate_sha256

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "FUNCTION_TRANSFORMER",
    "PREDICT_IS_ARGMAX",
    "TRUSTED_TYPES",
    "ArchiveLimits",
    "ArtifactLimitError",
    "IncompatibleArtifactError",
    "MalformedArtifactError",
    "ModelFileFacts",
    "UnsafeArtifactError",
    "check_framework_versions",
    "check_structure",
    "current_framework_versions",
    "dump_model",
    "inspect_artifact",
    "inspect_model_file",
    "load_model",
    "predict_is_argmax",
    "referenced_types",
]

_log = get_logger(__name__)

FORMATS = frozenset({"skops", "pickle", "joblib"})
"""Model file formats ``inspect_artifact`` and ``load_model`` understand."""

FUNCTION_TRANSFORMER = "sklearn.preprocessing._function_transformer.FunctionTransformer"
"""Not trusted: it calls whatever function it holds. Accepted only in the two forms scikit-learn
builds inside its own estimators, which call nothing but ``check_array``. (Any function a file
names must be on ``TRUSTED_TYPES`` anyway, and the only one there is ``check_array``.)"""
_CHECK_ARRAY = "sklearn.utils.validation.check_array"

# Generated, then reviewed: tests/core/test_model_files.py dumps every allowed estimator family and
# fails if a type they need is missing here, or if an entry here is no longer needed.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "builtins.dict",
        "builtins.list",
        "builtins.slice",
        "builtins.str",
        "builtins.tuple",
        "functools.partial",
        "numpy.dtype",
        "numpy.float64",
        "numpy.int64",
        "numpy.ndarray",
        "numpy.random._generator.Generator",
        "numpy.random.mtrand.RandomState",
        "numpy.uint64",
        "sklearn._loss._loss.CyAbsoluteError",
        "sklearn._loss._loss.CyExponentialLoss",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss._loss.CyHalfGammaLoss",
        "sklearn._loss._loss.CyHalfMultinomialLoss",
        "sklearn._loss._loss.CyHalfPoissonLoss",
        "sklearn._loss._loss.CyHalfSquaredError",
        "sklearn._loss._loss.CyHuberLoss",
        "sklearn._loss._loss.CyPinballLoss",
        "sklearn._loss.link.HalfLogitLink",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogLink",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn._loss.loss.AbsoluteError",
        "sklearn._loss.loss.ExponentialLoss",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfGammaLoss",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "sklearn._loss.loss.HalfPoissonLoss",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.loss.HuberLoss",
        "sklearn._loss.loss.PinballLoss",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.dummy.DummyClassifier",
        "sklearn.dummy.DummyRegressor",
        "sklearn.ensemble._forest.ExtraTreesClassifier",
        "sklearn.ensemble._forest.ExtraTreesRegressor",
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.ensemble._forest.RandomForestRegressor",
        "sklearn.ensemble._gb.GradientBoostingClassifier",
        "sklearn.ensemble._gb.GradientBoostingRegressor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.impute._base.MissingIndicator",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.impute._knn.KNNImputer",
        "sklearn.linear_model._base.LinearRegression",
        "sklearn.linear_model._coordinate_descent.ElasticNet",
        "sklearn.linear_model._coordinate_descent.Lasso",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.linear_model._ridge.Ridge",
        "sklearn.linear_model._ridge.RidgeClassifier",
        "sklearn.linear_model._sgd_fast.Hinge",
        "sklearn.linear_model._sgd_fast.ModifiedHuber",
        "sklearn.linear_model._stochastic_gradient.SGDClassifier",
        "sklearn.linear_model._stochastic_gradient.SGDRegressor",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
        "sklearn.naive_bayes.BernoulliNB",
        "sklearn.naive_bayes.CategoricalNB",
        "sklearn.naive_bayes.ComplementNB",
        "sklearn.naive_bayes.GaussianNB",
        "sklearn.naive_bayes.MultinomialNB",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.neighbors._classification.KNeighborsClassifier",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._regression.KNeighborsRegressor",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.MaxAbsScaler",
        "sklearn.preprocessing._data.MinMaxScaler",
        "sklearn.preprocessing._data.RobustScaler",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
        "sklearn.preprocessing._label.LabelBinarizer",
        "sklearn.preprocessing._label.LabelEncoder",
        "sklearn.preprocessing._target_encoder.TargetEncoder",
        "sklearn.svm._classes.LinearSVC",
        "sklearn.svm._classes.LinearSVR",
        "sklearn.svm._classes.SVC",
        "sklearn.svm._classes.SVR",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._classes.DecisionTreeRegressor",
        "sklearn.tree._classes.ExtraTreeClassifier",
        "sklearn.tree._classes.ExtraTreeRegressor",
        "sklearn.tree._tree.Tree",
        "sklearn.utils.validation.check_array",
    }
)


class UnsafeArtifactError(FailedPreconditionError):
    """The file names types outside ``TRUSTED_TYPES`` (``UNTRUSTED_TYPES``), or is a pickle and
    pickles are not allowed (``PICKLE_REFUSED``)."""

    default_reason = Reason.UNTRUSTED_TYPES


class MalformedArtifactError(UnsafeArtifactError):
    """The file is not a readable model file, or the model in it is structurally inconsistent."""

    default_reason = Reason.MALFORMED_ARTIFACT


class IncompatibleArtifactError(FailedPreconditionError):
    """The model was saved with library versions this process cannot load faithfully."""

    default_reason = Reason.INCOMPATIBLE_FRAMEWORK


class ArtifactLimitError(InvalidArgumentError):
    """The file would unpack to more than ``ArchiveLimits`` allow, or a member decompresses
    beyond its declared size; ``metadata["limit"]`` names the limit."""

    default_reason = Reason.ARTIFACT_LIMIT_EXCEEDED


# Classifiers whose ``predict`` is, in scikit-learn's own code, the class of the largest
# ``predict_proba`` column: one ``predict_proba`` pass gives both, which halves the cost of
# evaluating or serving a forest or a boosted model.
PREDICT_IS_ARGMAX = frozenset(
    {
        "HistGradientBoostingClassifier",
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
    }
)


def predict_is_argmax(model: Any) -> bool:
    """Whether ``model`` (or the last step of its Pipeline) predicts the argmax of its
    probabilities."""
    steps = getattr(model, "steps", None)
    final = steps[-1][1] if steps else model
    return type(final).__name__ in PREDICT_IS_ARGMAX


def current_framework_versions() -> dict[str, str]:
    """The versions to record with a model saved by this process."""
    import scipy  # type: ignore[import-untyped]
    import sklearn  # type: ignore[import-untyped]
    import skops  # type: ignore[import-untyped]

    return {
        "python": platform.python_version(),
        "scikit_learn": str(sklearn.__version__),
        "numpy": np.__version__,
        "scipy": str(scipy.__version__),
        "skops": str(skops.__version__),
    }


def dump_model(model: object) -> bytes:
    """The model as a skops file."""
    import skops.io as sio  # type: ignore[import-untyped]

    data: bytes = sio.dumps(model)
    return data


# --- inspection --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ArchiveLimits:
    """Bounds on what reading a skops file may expand to in memory.

    skops reads every member of the zip whole (schema.json, then each array), so these are
    checked on the zip's directory before anything is decompressed, and then while every member is
    streamed once: a member that decompresses to more than its declared size is refused, so the
    declared sizes are what count. A 1 MB zip bomb took a registry to 2.3 GB and 42 s before.
    """

    max_unpacked_bytes: int = 1024**3
    """Every member together, absolute."""
    max_unpack_ratio: float = 100.0
    """Every member together, relative to the file's own size (files under 1 MiB may unpack to
    100 MiB whatever their size). skops stores arrays uncompressed (ratio 1) unless asked to
    deflate them; deflated model arrays rarely pass 20."""
    max_member_bytes: int = 1024**3
    """One member."""
    max_members: int = 100_000
    """Members in the zip: a 1,000-stage boosted model of ten classes has about 20,000."""
    max_schema_bytes: int = 32 * 1024**2
    """``schema.json``, parsed whole into Python objects (about ten times its size)."""


DEFAULT_LIMITS = ArchiveLimits()
_RATIO_FLOOR_BYTES = 1024**2
_DIRECTORY_ENTRY_BYTES = 256  # a directory entry's fixed 46 bytes and a name of an object id
_COMPRESSIONS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_CHUNK = 1024**2


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidArgumentError.for_field(
            "format",
            f"must be one of {', '.join(sorted(FORMATS))}",
            reason=Reason.UNKNOWN_ARTIFACT_FORMAT,
        )


def _malformed(what: str) -> MalformedArtifactError:
    return MalformedArtifactError(f"the model file is malformed: {what}")


def _too_large(what: str, limit: str, value: int | float) -> ArtifactLimitError:
    return ArtifactLimitError(
        f"the model file is refused: {what}",
        metadata={"limit": limit, "value": str(value)},
    )


def _directory_size(fp: BinaryIO, size: int) -> tuple[int, int]:
    """Entries and bytes of the zip's central directory, from its end record (or its zip64 end
    record), read before ``zipfile`` parses the directory into one object per entry."""
    tail_size = min(size, _END_RECORD.size + 0xFFFF)  # the record, then a comment up to 64 KiB
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END_RECORD.size:
        raise _malformed("it is not a skops file")
    fields = _END_RECORD.unpack_from(tail, at)
    entries, directory_bytes = int(fields[4]), int(fields[5])
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF:
        locator = at - _ZIP64_LOCATOR.size
        if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            raise _malformed("it is not a skops file")
        fp.seek(int(_ZIP64_LOCATOR.unpack_from(tail, locator)[2]))
        record = fp.read(_ZIP64_END_RECORD.size)
        if len(record) != _ZIP64_END_RECORD.size or record[:4] != b"PK\x06\x06":
            raise _malformed("it is not a skops file")
        fields = _ZIP64_END_RECORD.unpack(record)
        entries, directory_bytes = int(fields[7]), int(fields[8])
    return entries, directory_bytes


_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def _check_directory(archive: zipfile.ZipFile, size: int, limits: ArchiveLimits) -> None:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise _too_large(
            f"it has {len(members)} members, more than {limits.max_members}",
            "max_members",
            len(members),
        )
    total = 0
    for member in members:
        if member.compress_type not in _COMPRESSIONS or member.flag_bits & 0x1:
            raise _malformed("a member is encrypted or compressed other than with deflate")
        if member.filename == "schema.json" and member.file_size > limits.max_schema_bytes:
            raise _too_large(
                f"its schema.json unpacks to {member.file_size} bytes, more than "
                f"{limits.max_schema_bytes}",
                "max_schema_bytes",
                member.file_size,
            )
        if member.file_size > limits.max_member_bytes:
            raise _too_large(
                f"a member unpacks to {member.file_size} bytes, more than "
                f"{limits.max_member_bytes}",
                "max_member_bytes",
                member.file_size,
            )
        total += member.file_size
    _check_total(total, size, limits)


def _allowed_bytes(size: int, limits: ArchiveLimits) -> int:
    return min(
        limits.max_unpacked_bytes,
        max(int(limits.max_unpack_ratio * size), _RATIO_FLOOR_BYTES),
    )


def _check_total(total: int, size: int, limits: ArchiveLimits) -> None:
    if total > (allowed := _allowed_bytes(size, limits)):
        raise _too_large(
            f"it unpacks to {total} bytes, more than the {allowed} allowed for a file of "
            f"{size} bytes (at most {limits.max_unpack_ratio:g} times its size, and "
            f"{limits.max_unpacked_bytes} bytes)",
            "max_unpacked_bytes",
            total,
        )


def _stream_member(fp: BinaryIO, member: zipfile.ZipInfo) -> None:
    """Decompress one member in bounded steps without keeping it: it must produce exactly its
    declared size and CRC. (``zipfile`` cuts a member at its declared size without saying so.)"""
    fp.seek(member.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise _malformed("a member has no local header")
    fields = _LOCAL_HEADER.unpack(header)
    fp.seek(member.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11])
    left_in = member.compress_size
    declared = member.file_size
    produced = 0
    crc = 0
    inflater = zlib.decompressobj(-15) if member.compress_type == zipfile.ZIP_DEFLATED else None
    while left_in > 0 or (inflater is not None and inflater.unconsumed_tail):
        if inflater is not None and inflater.unconsumed_tail:
            pending = inflater.unconsumed_tail
        else:
            pending = fp.read(min(_CHUNK, left_in))
            if not pending:
                raise _malformed("a member is truncated")
            left_in -= len(pending)
        # At most one byte past what is declared: enough to know the member lies.
        room = declared - produced + 1
        out = inflater.decompress(pending, room) if inflater is not None else pending[:room]
        produced += len(out)
        if produced > declared:
            raise _too_large(
                f"a member decompresses beyond its declared {declared} bytes",
                "declared_size",
                declared,
            )
        crc = zlib.crc32(out, crc)
    if inflater is not None and not inflater.eof:
        raise _malformed("a member is truncated")
    if produced != declared or crc != member.CRC:
        raise _malformed("a member does not match its declared size or checksum")


def _read_schema(data: bytes | Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> _SchemaScan:
    """The scan of ``schema.json``, once the whole file is within ``limits``: also what skops
    reads following the schema (a member as often as it is named)."""
    try:
        fp: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data.open("rb")
        with fp:
            size = fp.seek(0, io.SEEK_END)
            entries, directory_bytes = _directory_size(fp, size)
            if (
                entries > limits.max_members
                or directory_bytes > limits.max_members * _DIRECTORY_ENTRY_BYTES
            ):
                raise _too_large(
                    f"its directory lists {entries} members in {directory_bytes} bytes, "
                    f"more than {limits.max_members}",
                    "max_members",
                    entries,
                )
            with zipfile.ZipFile(fp) as archive:
                _check_directory(archive, size, limits)
                for member in archive.infolist():
                    _stream_member(fp, member)
                scan = _scan_schema(json.loads(archive.read("schema.json")))
                sizes = {member.filename: member.file_size for member in archive.infolist()}
                _check_total(sum(sizes.get(name, 0) for name in scan.reads), size, limits)
                return scan
    except (MalformedArtifactError, ArtifactLimitError, FileNotFoundError, MemoryError):
        raise  # MemoryError: out of a sandbox's memory, which its caller reports
    except Exception:  # a damaged zip fails in many ways (BadZipFile, EOFError, zlib.error, ...)
        raise _malformed("it is not a skops file") from None


def _is_null(state: Any) -> bool:
    return (
        isinstance(state, dict)
        and state.get("__loader__") == "JsonNode"
        and state.get("content") == "null"
    )


def _is_check_array(state: Any) -> bool:
    """``functools.partial(sklearn.utils.validation.check_array, ...)``."""
    if not isinstance(state, dict) or state.get("__loader__") != "PartialNode":
        return False
    content = state.get("content")
    func = content.get("func") if isinstance(content, dict) else None
    return (
        isinstance(func, dict)
        and func.get("__loader__") == "FunctionNode"
        and f"{func.get('__module__')}.{func.get('__class__')}" == _CHECK_ARRAY
    )


def _made_by_sklearn(state: dict[str, Any]) -> bool:
    """Whether a FunctionTransformer is one scikit-learn builds itself: the identity of a
    ColumnTransformer's ``remainder="passthrough"``, or HistGradientBoosting's input check."""
    attrs = state.get("content")
    attrs = attrs.get("content") if isinstance(attrs, dict) else None
    if not isinstance(attrs, dict):
        return False
    return (_is_null(attrs.get("func")) or _is_check_array(attrs.get("func"))) and all(
        _is_null(attrs.get(key)) for key in ("inverse_func", "kw_args", "inv_kw_args")
    )


@dataclass
class _SchemaScan:
    types: set[str]
    foreign_function_transformer: bool
    sklearn_versions: set[str]
    reads: list[str]


def _recorded_version(state: Any) -> str | None:
    """The text of a ``_sklearn_version`` entry (a JSON node holding a JSON string)."""
    if not isinstance(state, dict) or state.get("__loader__") != "JsonNode":
        return None
    try:
        value = json.loads(state.get("content", ""))
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, str) else None


def _scan_schema(schema: Any) -> _SchemaScan:
    """Every type and function a skops schema names, whether it holds a FunctionTransformer
    that scikit-learn did not build itself, and the scikit-learn versions its estimators record.

    Each object in the schema is a JSON object with ``__loader__``, ``__module__`` and
    ``__class__``; a bound method also names its function in ``content.func``. Walking every
    nested object (not only those skops would visit) over-approximates what loading builds.
    ``reads`` lists the members the schema reads, as often as it names them: skops reads a
    member whole each time.
    """
    scan = _SchemaScan(set(), False, set(), [])
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "__loader__" in item:
                module, name = item.get("__module__"), item.get("__class__")
                if not isinstance(module, str) or not isinstance(name, str):
                    raise _malformed("an object in its schema has no type")
                scan.types.add(f"{module}.{name}")
                if item["__loader__"] == "MethodNode":
                    content = item.get("content")
                    func = content.get("func") if isinstance(content, dict) else None
                    scan.types.add(f"{module}.{name}.{func}")
                if f"{module}.{name}" == FUNCTION_TRANSFORMER and not _made_by_sklearn(item):
                    scan.foreign_function_transformer = True
                if isinstance(member := item.get("file"), str):
                    scan.reads.append(member)
            if (version := _recorded_version(item.get("_sklearn_version"))) is not None:
                scan.sklearn_versions.add(version)
            stack.extend(item.values())
    return scan


def _skops_untrusted(data: bytes | Path) -> set[str]:
    import skops.io as sio

    try:
        if isinstance(data, bytes):
            return set(sio.get_untrusted_types(data=data))
        return set(sio.get_untrusted_types(file=data))
    except MemoryError:
        raise
    except Exception as exc:  # skops raises many kinds for a bad file; none is ours to propagate
        _log.info("skops cannot read a model file", error=repr(exc))
        raise _malformed("skops cannot read it") from None


def referenced_types(data: bytes | Path) -> list[str]:
    """Every type and function a skops file names, sorted: what loading it may build or call.

    The union of our own reading of its schema and of what skops reports as untrusted.
    ``data`` is the file's bytes or its path.
    """
    return sorted(_read_schema(data).types | _skops_untrusted(data))


@dataclass(frozen=True)
class ModelFileFacts:
    """What inspecting a model file found."""

    untrusted: tuple[str, ...]
    """Types and functions it names outside ``TRUSTED_TYPES``: empty when acceptable."""
    sklearn_versions: tuple[str, ...]
    """The scikit-learn versions its estimators record (``_sklearn_version``), sorted; empty for
    pickle and joblib files, which cannot be read without running them."""


def inspect_model_file(
    data: bytes | Path,
    fmt: str,
    *,
    allow_pickle: bool = False,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> ModelFileFacts:
    """What in a model file is not trusted, and the scikit-learn versions it records.

    For skops: ``ArtifactLimitError`` when it would unpack beyond ``limits``, else the types and
    functions it names outside ``TRUSTED_TYPES`` (and ``FUNCTION_TRANSFORMER`` unless
    scikit-learn built it). For pickle and joblib: ``UnsafeArtifactError`` (``PICKLE_REFUSED``)
    unless ``allow_pickle``, since their content cannot be inspected without running it.
    ``data`` is the file's bytes or its path.
    """
    _check_format(fmt)
    if fmt != "skops":
        _refuse_pickle_unless(allow_pickle, fmt)
        return ModelFileFacts((), ())
    scan = _read_schema(data, limits)
    found = scan.types | _skops_untrusted(data)
    if not scan.foreign_function_transformer:
        found.discard(FUNCTION_TRANSFORMER)
    return ModelFileFacts(
        tuple(sorted(found - TRUSTED_TYPES)), tuple(sorted(scan.sklearn_versions))
    )


def inspect_artifact(
    data: bytes | Path,
    fmt: str,
    *,
    allow_pickle: bool = False,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> list[str]:
    """What in a model file is not trusted; an empty list means it is acceptable.

    ``inspect_model_file``'s ``untrusted``, with the same errors.
    """
    return list(inspect_model_file(data, fmt, allow_pickle=allow_pickle, limits=limits).untrusted)


def _refuse_pickle_unless(allowed: bool, fmt: str) -> None:
    if not allowed:
        raise UnsafeArtifactError(
            f"{fmt} model files can run arbitrary code when loaded and are not allowed here; "
            "save the model with skops",
            reason=Reason.PICKLE_REFUSED,
            metadata={"format": fmt},
        )


# --- compatibility -----------------------------------------------------------------------------

_VERSION = re.compile(r"(\d+)\.(\d+)")


def _major_minor(version: str) -> tuple[int, int] | None:
    match = _VERSION.match(version)
    return (int(match[1]), int(match[2])) if match else None


def check_framework_versions(recorded: Mapping[str, str]) -> None:
    """Refuse a model recorded with library versions this process may not load faithfully.

    The rule: the same scikit-learn minor version (major.minor) as the running one, since
    scikit-learn changes estimator internals between minor releases and only promises pickles and
    skops files within one; and the same numpy major version, whose array internals and dtypes
    changed at 2.0. Python, scipy and skops versions are recorded but not compared: the file
    format is versioned by skops itself. A missing or unreadable version is refused too.
    """
    running = current_framework_versions()
    rules = (("scikit_learn", "scikit-learn", 2), ("numpy", "numpy", 1))
    for key, label, parts in rules:
        theirs = _major_minor(recorded.get(key, ""))
        ours = _major_minor(running[key])
        if theirs is None or ours is None or theirs[:parts] != ours[:parts]:
            scope = "minor" if parts == 2 else "major"
            raise IncompatibleArtifactError(
                f"the model was saved with {label} {recorded.get(key) or '(unrecorded)'}; "
                f"this process runs {running[key]} and loads only the same {scope} version",
                metadata={
                    "library": label,
                    "recorded": recorded.get(key, ""),
                    "running": running[key],
                },
            )


# --- loading -----------------------------------------------------------------------------------


def load_model(
    path: Path,
    *,
    sha256: str,
    fmt: str,
    framework_versions: Mapping[str, str],
    allow_pickle: bool = False,
) -> object:
    """Load a model file that must hash to ``sha256``.

    In order: the format must be known and, for pickle and joblib, allowed
    (``UnsafeArtifactError``, ``PICKLE_REFUSED``); the recorded ``framework_versions`` must be
    compatible (``IncompatibleArtifactError``, see ``check_framework_versions``); the bytes must
    hash to ``sha256`` (``ArtifactCorruptError``); a skops file may name only ``TRUSTED_TYPES``
    (``UnsafeArtifactError``, ``UNTRUSTED_TYPES``, listing the others) and the model in it must be
    structurally sound (``MalformedArtifactError``). The file is read once, so what was hashed and
    checked is what gets loaded.
    """
    _check_format(fmt)
    validate_sha256(sha256)
    if fmt != "skops":
        _refuse_pickle_unless(allow_pickle, fmt)
    check_framework_versions(framework_versions)
    data = path.read_bytes()
    if (actual := hashlib.sha256(data).hexdigest()) != sha256:
        raise ArtifactCorruptError(
            f"the model file hashes to sha256:{actual}, not to the recorded sha256:{sha256}",
            metadata={"sha256": sha256, "actual_sha256": actual},
        )
    if fmt != "skops":
        _log.warning("loading a model file that can run arbitrary code", format=fmt, sha256=sha256)
        if fmt == "joblib":
            import joblib  # type: ignore[import-untyped]

            return joblib.load(io.BytesIO(data))
        return pickle.loads(data)  # noqa: S301 - explicitly allowed by the caller, logged above
    untrusted = inspect_artifact(data, fmt)
    if untrusted:
        raise UnsafeArtifactError(
            f"the model file contains types that are not trusted: {', '.join(untrusted)}",
            metadata={"untrusted_types": ",".join(untrusted)},
        )
    import skops.io as sio

    try:
        model: object = sio.loads(data, trusted=sorted(TRUSTED_TYPES))
    except Exception as exc:  # skops raises many kinds for a bad file; none is ours to propagate
        _log.info("skops cannot load a model file", sha256=sha256, error=repr(exc))
        raise _malformed("skops cannot load it") from None
    check_structure(model)
    return model


# --- structural checks -------------------------------------------------------------------------


def _objects(root: object) -> Iterator[object]:
    """Every object reachable from ``root`` through attributes, containers and object arrays."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise _malformed(what)


def _check_tree(tree: Any, n_features: int) -> None:
    n = int(tree.node_count)
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    _require(
        int(tree.n_features) == n_features
        and n >= 1
        and left.shape == right.shape == feature.shape == (n,),
        "inconsistent tree",
    )
    leaf = left == -1
    index = np.arange(n)
    inner = ~leaf
    # Children after their parent: every path ends at a leaf, none loops.
    _require(
        bool(
            np.all(right[leaf] == -1)
            and np.all((left[inner] > index[inner]) & (left[inner] < n))
            and np.all((right[inner] > index[inner]) & (right[inner] < n))
            and np.all((feature[inner] >= 0) & (feature[inner] < n_features))
        ),
        "a tree node points outside its tree or its features",
    )


def _check_predictor(predictor: Any, owner: Any) -> None:
    from sklearn.ensemble._hist_gradient_boosting.common import (  # type: ignore[import-untyped]
        PREDICTOR_RECORD_DTYPE,
    )

    nodes = predictor.nodes
    _require(
        isinstance(nodes, np.ndarray)
        and nodes.dtype == PREDICTOR_RECORD_DTYPE
        and nodes.ndim == 1
        and len(nodes) >= 1,
        "inconsistent gradient boosting tree",
    )
    n = len(nodes)
    index = np.arange(n)
    inner = nodes["is_leaf"] == 0
    left, right, feature = (
        nodes[key][inner].astype(np.int64) for key in ("left", "right", "feature_idx")
    )
    width = int(owner.n_features_in_)
    _require(
        bool(
            np.all((left > index[inner]) & (left < n))
            and np.all((right > index[inner]) & (right < n))
            and np.all((feature >= 0) & (feature < width))
        ),
        "a gradient boosting tree node points outside its tree or its features",
    )
    categorical = inner & (nodes["is_categorical"] != 0)
    if categorical.any():
        raw = predictor.raw_left_cat_bitsets
        is_categorical = np.asarray(owner._bin_mapper.is_categorical_)
        bitsets = nodes["bitset_idx"][categorical].astype(np.int64)
        features = nodes["feature_idx"][categorical].astype(np.int64)
        _require(
            raw.ndim == 2
            and raw.shape[1] >= 8
            and is_categorical.shape == (width,)
            and bool(np.all((bitsets >= 0) & (bitsets < raw.shape[0])))
            and bool(np.all(is_categorical[features] != 0)),
            "a categorical split points outside its category sets",
        )


def _check_binary_tree(tree: Any) -> None:
    data, idx, node_data, node_bounds = (np.asarray(a) for a in tree.get_arrays())
    state = tree.__getstate__()
    n_levels, n_nodes = int(state[5]), int(state[6])
    _require(
        data.ndim == 2
        and idx.shape == (data.shape[0],)
        and np.array_equal(np.sort(idx), np.arange(data.shape[0]))
        and 1 <= n_levels <= 64
        and n_nodes == 2**n_levels - 1
        and node_data.shape == (n_nodes,)
        and node_bounds.ndim == 3
        and node_bounds.shape[1:] == (n_nodes, data.shape[1]),
        "inconsistent neighbours tree",
    )
    start, end = node_data["idx_start"], node_data["idx_end"]
    inner = np.flatnonzero(node_data["is_leaf"] == 0)
    _require(
        bool(
            np.all((start >= 0) & (start <= end) & (end <= data.shape[0]))
            and np.all(2 * inner + 2 < n_nodes)
        ),
        "a neighbours tree node points outside its data",
    )


def check_structure(model: object) -> None:
    """``MalformedArtifactError`` unless the index structures inside ``model`` are sound.

    Covers the trusted types whose compiled code trusts its indices: decision trees (alone, in
    forests and in gradient boosting), HistGradientBoosting predictors, k-d and ball trees, and
    the width of gradient boosting stages.
    """
    try:
        _check_structure(model)
    except MalformedArtifactError:
        raise
    except Exception:  # a missing or mistyped attribute: the file was not written by skops
        raise _malformed("the model in it is inconsistent") from None


def _check_structure(model: object) -> None:
    # scikit-learn (with SciPy, and pytest through skops) costs seconds to import: imported
    # here, where a model is checked, so that a process that never loads one starts fast.
    from sklearn.ensemble import BaseEnsemble  # type: ignore[import-untyped]
    from sklearn.ensemble._gb import BaseGradientBoosting  # type: ignore[import-untyped]
    from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (  # type: ignore[import-untyped]
        BaseHistGradientBoosting,
    )
    from sklearn.ensemble._hist_gradient_boosting.predictor import (  # type: ignore[import-untyped]
        TreePredictor,
    )
    from sklearn.neighbors import BallTree, KDTree  # type: ignore[import-untyped]
    from sklearn.tree._tree import Tree  # type: ignore[import-untyped]

    checked: set[int] = set()
    found: list[object] = []
    boosting: list[object] = []
    for obj in _objects(model):
        if isinstance(obj, Tree | TreePredictor):
            found.append(obj)
        elif isinstance(obj, KDTree | BallTree):
            _check_binary_tree(obj)
        elif isinstance(getattr(obj, "tree_", None), Tree):
            tree = obj.tree_  # type: ignore[attr-defined]
            _check_tree(tree, int(getattr(obj, "n_features_in_", -1)))
            checked.add(id(tree))
        elif isinstance(obj, BaseHistGradientBoosting) and hasattr(obj, "_predictors"):
            for predictors in obj._predictors:
                for predictor in predictors:
                    _check_predictor(predictor, obj)
                    checked.add(id(predictor))
        if isinstance(obj, BaseEnsemble) and hasattr(obj, "estimators_"):
            # Ensembles validate the input's width once, then hand it to every member unchecked.
            width = int(getattr(obj, "n_features_in_", -1))
            members = np.asarray(obj.estimators_, dtype=object).ravel()
            _require(
                all(getattr(m, "n_features_in_", None) == width for m in members),
                "ensemble members disagree on the number of features",
            )
        if isinstance(obj, BaseGradientBoosting) and hasattr(obj, "estimators_"):
            boosting.append(obj)
    _require(all(id(obj) in checked for obj in found), "a tree outside any estimator")
    # Last: this check predicts with the initial estimator, which must have been checked first.
    for obj in boosting:
        _check_gradient_boosting(obj)


def _check_gradient_boosting(model: Any) -> None:
    # Each stage adds one tree per column of the raw predictions, written without bounds checks:
    # the init estimator's output must be at least as wide as a stage.
    stages = model.estimators_
    _require(
        isinstance(stages, np.ndarray) and stages.ndim == 2 and stages.shape[0] >= 1,
        "inconsistent gradient boosting stages",
    )
    try:
        width = model._raw_predict_init(np.zeros((1, int(model.n_features_in_)))).shape[1]
    except Exception:
        raise _malformed("its gradient boosting initial estimator cannot predict") from None
    _require(width >= stages.shape[1], "gradient boosting stages wider than their predictions")
