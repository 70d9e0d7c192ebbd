"""Model files: every allowed estimator family round-trips through skops and the safe loader, and
the trust list is exactly what those families need."""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.naive_bayes import BernoulliNB, CategoricalNB, ComplementNB, GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from structlog.testing import capture_logs

from slipway.core.errors import FailedPreconditionError, InvalidArgumentError
from slipway.ml import model_files
from slipway.ml.artifacts import ArtifactCorruptError
from slipway.ml.model_files import (
    FUNCTION_TRANSFORMER,
    TRUSTED_TYPES,
    IncompatibleArtifactError,
    MalformedArtifactError,
    UnsafeArtifactError,
    current_framework_versions,
    dump_model,
    inspect_artifact,
    load_model,
)
from support.hostile_models import understated, zip_bomb

# --- tiny data sets ----------------------------------------------------------------------------

_rng = np.random.RandomState(0)
X_BIN, Y_BIN = make_classification(60, 6, n_informative=4, random_state=0)
X_MULTI, Y_MULTI = make_classification(90, 6, n_informative=4, n_classes=3, random_state=1)
X_REG, Y_REG = make_regression(60, 6, noise=0.5, random_state=2)
Y_POSITIVE = np.exp(Y_REG / Y_REG.std())
X_COUNTS = _rng.randint(0, 5, size=(60, 6))
X_MISSING = np.where(_rng.rand(60, 6) < 0.1, np.nan, X_REG)
# Categories as strings in an object array, beside numbers: what a CSV table becomes.
_COLOURS = np.array(["red", "green", "blue"], dtype=object)[_rng.randint(0, 3, 60)]
X_MIXED = np.column_stack([X_MISSING[:, :3].astype(object), _COLOURS])
X_CATEGORICAL_CODES = np.column_stack([X_BIN[:, :4], _rng.randint(0, 4, 60)])

DATA: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "binary": (X_BIN, Y_BIN),
    "multiclass": (X_MULTI, Y_MULTI),
    "regression": (X_REG, Y_REG),
    "positive": (X_REG, Y_POSITIVE),
    "counts": (X_COUNTS, Y_BIN),
    "missing": (X_MISSING, Y_BIN),
    "mixed": (X_MIXED, Y_BIN),
    "categorical_codes": (X_CATEGORICAL_CODES, Y_BIN),
    "colours": (_COLOURS.reshape(-1, 1), Y_BIN),
}


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[], object]
    data: str

    def fitted(self) -> object:
        model = self.make()
        features, target = DATA[self.data]
        model.fit(features, target)
        return model

    def outputs(self, model: object) -> list[np.ndarray]:
        features, _ = DATA[self.data]
        names = ("predict", "predict_proba", "decision_function", "transform")
        outputs = [getattr(model, name)(features) for name in names if hasattr(model, name)]
        return [np.asarray(out.toarray() if hasattr(out, "toarray") else out) for out in outputs]


def _numeric_and_colour() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), [0, 1, 2]),
            ("colour", OneHotEncoder(handle_unknown="ignore"), [3]),
        ]
    )


# The families the training service may build (its allow-list must stay within this one), with
# the hyperparameters that change what a fitted model holds (losses, links, search trees).
CASES = [
    # linear models
    Case("logistic-binary", lambda: LogisticRegression(), "binary"),
    Case("logistic-multiclass", lambda: LogisticRegression(), "multiclass"),
    Case("linear-regression", lambda: LinearRegression(), "regression"),
    Case("ridge", lambda: Ridge(), "regression"),
    Case("ridge-classifier", lambda: RidgeClassifier(), "multiclass"),
    Case("lasso", lambda: Lasso(alpha=0.1), "regression"),
    Case("elastic-net", lambda: ElasticNet(alpha=0.1), "regression"),
    *(
        Case(
            f"sgd-classifier-{loss}",
            lambda loss=loss: SGDClassifier(loss=loss, max_iter=50, tol=None, random_state=0),
            "multiclass",
        )
        for loss in ("hinge", "log_loss", "modified_huber", "perceptron")
    ),
    *(
        Case(
            f"sgd-regressor-{loss}",
            lambda loss=loss: SGDRegressor(loss=loss, max_iter=50, tol=None, random_state=0),
            "regression",
        )
        for loss in ("squared_error", "huber", "epsilon_insensitive")
    ),
    # trees and forests
    Case("decision-tree-classifier", lambda: DecisionTreeClassifier(max_depth=4), "multiclass"),
    Case("decision-tree-regressor", lambda: DecisionTreeRegressor(max_depth=4), "regression"),
    Case(
        "random-forest-classifier",
        lambda: RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0),
        "binary",
    ),
    Case(
        "random-forest-regressor",
        lambda: RandomForestRegressor(n_estimators=3, max_depth=4, random_state=0),
        "regression",
    ),
    Case(
        "extra-trees-classifier",
        lambda: ExtraTreesClassifier(n_estimators=3, max_depth=4, random_state=0),
        "multiclass",
    ),
    Case(
        "extra-trees-regressor",
        lambda: ExtraTreesRegressor(n_estimators=3, max_depth=4, random_state=0),
        "regression",
    ),
    # gradient boosting
    Case(
        "gradient-boosting-binary",
        lambda: GradientBoostingClassifier(n_estimators=3, max_depth=2),
        "binary",
    ),
    Case(
        "gradient-boosting-multiclass",
        lambda: GradientBoostingClassifier(n_estimators=3, max_depth=2),
        "multiclass",
    ),
    Case(
        "gradient-boosting-exponential",
        lambda: GradientBoostingClassifier(n_estimators=3, max_depth=2, loss="exponential"),
        "binary",
    ),
    *(
        Case(
            f"gradient-boosting-regressor-{loss}",
            lambda loss=loss: GradientBoostingRegressor(n_estimators=3, max_depth=2, loss=loss),
            "regression",
        )
        for loss in ("squared_error", "absolute_error", "huber", "quantile")
    ),
    Case(
        "hist-gradient-boosting-binary",
        lambda: HistGradientBoostingClassifier(max_iter=3),
        "binary",
    ),
    Case(
        "hist-gradient-boosting-multiclass",
        lambda: HistGradientBoostingClassifier(max_iter=3),
        "multiclass",
    ),
    Case(
        "hist-gradient-boosting-categorical",
        lambda: HistGradientBoostingClassifier(max_iter=3, categorical_features=[4]),
        "categorical_codes",
    ),
    Case(
        "hist-gradient-boosting-missing",
        lambda: HistGradientBoostingClassifier(max_iter=3),
        "missing",
    ),
    *(
        Case(
            f"hist-gradient-boosting-regressor-{loss}",
            lambda loss=loss: HistGradientBoostingRegressor(max_iter=3, loss=loss),
            "positive",
        )
        for loss in ("squared_error", "absolute_error", "gamma", "poisson")
    ),
    Case(
        "hist-gradient-boosting-regressor-quantile",
        lambda: HistGradientBoostingRegressor(max_iter=3, loss="quantile", quantile=0.9),
        "positive",
    ),
    # support vector machines
    Case("svc-rbf", lambda: SVC(), "multiclass"),
    Case("svc-linear", lambda: SVC(kernel="linear"), "binary"),
    Case("svc-poly", lambda: SVC(kernel="poly", degree=2), "binary"),
    Case("svr", lambda: SVR(), "regression"),
    Case("linear-svc", lambda: LinearSVC(), "multiclass"),
    Case("linear-svr", lambda: LinearSVR(), "regression"),
    # nearest neighbours (the search tree and metric kept in the model vary)
    Case("knn-kd-tree", lambda: KNeighborsClassifier(n_neighbors=3), "multiclass"),
    Case(
        "knn-ball-tree",
        lambda: KNeighborsClassifier(n_neighbors=3, algorithm="ball_tree"),
        "binary",
    ),
    Case("knn-brute", lambda: KNeighborsClassifier(n_neighbors=3, algorithm="brute"), "binary"),
    Case("knn-manhattan", lambda: KNeighborsClassifier(n_neighbors=3, p=1), "binary"),
    Case(
        "knn-regressor",
        lambda: KNeighborsRegressor(n_neighbors=3, weights="distance"),
        "regression",
    ),
    # naive Bayes
    Case("gaussian-nb", lambda: GaussianNB(), "multiclass"),
    Case("multinomial-nb", lambda: MultinomialNB(), "counts"),
    Case("complement-nb", lambda: ComplementNB(), "counts"),
    Case("bernoulli-nb", lambda: BernoulliNB(), "binary"),
    Case("categorical-nb", lambda: CategoricalNB(), "counts"),
    # scalers, encoders, imputers
    Case("standard-scaler", lambda: StandardScaler(), "regression"),
    Case("min-max-scaler", lambda: MinMaxScaler(), "regression"),
    Case("max-abs-scaler", lambda: MaxAbsScaler(), "regression"),
    Case("robust-scaler", lambda: RobustScaler(), "regression"),
    Case("one-hot-encoder", lambda: OneHotEncoder(handle_unknown="ignore"), "colours"),
    Case(
        "one-hot-encoder-dense", lambda: OneHotEncoder(drop="first", sparse_output=False), "colours"
    ),
    Case(
        "ordinal-encoder",
        lambda: OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
        "colours",
    ),
    Case("target-encoder", lambda: TargetEncoder(random_state=0), "colours"),
    Case("simple-imputer", lambda: SimpleImputer(add_indicator=True), "missing"),
    Case("simple-imputer-most-frequent", lambda: SimpleImputer(strategy="most_frequent"), "mixed"),
    Case("knn-imputer", lambda: KNNImputer(n_neighbors=3), "missing"),
    # composition
    Case(
        "pipeline",
        lambda: make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression()),
        "missing",
    ),
    Case("column-transformer", _numeric_and_colour, "mixed"),
    Case(
        "column-transformer-passthrough",
        lambda: ColumnTransformer([("scale", StandardScaler(), [0, 1])], remainder="passthrough"),
        "regression",
    ),
    Case(
        "pipeline-column-transformer-forest",
        lambda: Pipeline(
            [
                ("prepare", _numeric_and_colour()),
                ("model", RandomForestClassifier(n_estimators=3, random_state=0)),
            ]
        ),
        "mixed",
    ),
    Case(
        "pipeline-column-transformer-hgb",
        lambda: Pipeline(
            [
                ("prepare", _numeric_and_colour()),
                ("model", HistGradientBoostingClassifier(max_iter=3)),
            ]
        ),
        "mixed",
    ),
]


@pytest.fixture(scope="module")
def dumped() -> dict[str, tuple[Case, object, bytes]]:
    """Every case fitted and dumped once for the module."""
    result = {}
    for case in CASES:
        model = case.fitted()
        result[case.id] = (case, model, dump_model(model))
    return result


def _write(tmp_path: Path, data: bytes, name: str = "model.skops") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def _load(path: Path, sha256: str, fmt: str = "skops", **kwargs) -> object:
    kwargs.setdefault("framework_versions", current_framework_versions())
    return load_model(path, sha256=sha256, fmt=fmt, **kwargs)


# --- round trips and the trust list ------------------------------------------------------------


@pytest.mark.parametrize("case_id", [case.id for case in CASES])
def test_every_allowed_family_round_trips_with_identical_outputs(case_id, dumped, tmp_path):
    case, model, data = dumped[case_id]
    assert inspect_artifact(data, "skops") == []
    path, sha256 = _write(tmp_path, data)
    assert inspect_artifact(path, "skops") == []
    loaded = _load(path, sha256)
    assert type(loaded) is type(model)
    expected, actual = case.outputs(model), case.outputs(loaded)
    assert len(expected) == len(actual) >= 1
    for want, got in zip(expected, actual, strict=True):
        np.testing.assert_array_equal(got, want)


def test_trusted_types_are_exactly_what_the_allowed_families_need(dumped):
    """Fails when a scikit-learn (or numpy, skops) upgrade needs a type that is not trusted yet,
    or no longer needs one that is: review the difference and update TRUSTED_TYPES."""
    needed: set[str] = set()
    for _case, _model, data in dumped.values():
        needed.update(model_files.referenced_types(data))
        # skops' own report is part of referenced_types; checked separately to be explicit.
        needed.update(sio.get_untrusted_types(data=data))
    # Needed by ColumnTransformer(remainder="passthrough") and categorical HistGradientBoosting,
    # and accepted only in those forms (see test_function_transformers_sklearn_builds_are_accepted).
    assert FUNCTION_TRANSFORMER in needed
    needed.discard(FUNCTION_TRANSFORMER)
    missing = sorted(needed - TRUSTED_TYPES)
    unused = sorted(TRUSTED_TYPES - needed)
    assert not missing, f"types the allowed families need but TRUSTED_TYPES lacks: {missing}"
    assert not unused, f"TRUSTED_TYPES entries no allowed family needs any more: {unused}"


def test_the_trust_list_leaves_out_what_runs_code():
    assert FUNCTION_TRANSFORMER not in TRUSTED_TYPES
    assert "sklearn.tree._tree.Tree" in TRUSTED_TYPES
    assert not any(
        name.startswith(("builtins.eval", "builtins.exec", "os.", "subprocess."))
        for name in TRUSTED_TYPES
    )


# --- refusals ----------------------------------------------------------------------------------


def _log1p(x):
    return np.log1p(x)


class HomeMadeScaler:
    """A class of our own: skops can save it, and nothing may load it."""

    def fit(self, features, target=None):
        self.scale_ = 2.0
        return self

    def transform(self, features):
        return np.asarray(features) * self.scale_


@pytest.mark.parametrize(
    ("model", "named"),
    [
        (FunctionTransformer(np.log1p), ["numpy.log1p", FUNCTION_TRANSFORMER]),
        (FunctionTransformer(_log1p), ["test_model_files._log1p", FUNCTION_TRANSFORMER]),
        # Even a function that is trusted elsewhere, or an inverse only: the type itself is refused.
        (FunctionTransformer(inverse_func=np.expm1), ["numpy.expm1", FUNCTION_TRANSFORMER]),
        (FunctionTransformer(kw_args={"copy": True}), [FUNCTION_TRANSFORMER]),
        (
            make_pipeline(HomeMadeScaler(), LogisticRegression()),
            ["test_model_files.HomeMadeScaler"],
        ),
    ],
    ids=[
        "function-transformer-ufunc",
        "function-transformer-function",
        "function-transformer-inverse",
        "function-transformer-kwargs",
        "custom-class",
    ],
)
def test_a_file_with_untrusted_types_is_refused_naming_them(model, named, tmp_path):
    model.fit(X_COUNTS, Y_BIN)
    data = dump_model(model)
    untrusted = inspect_artifact(data, "skops")
    for name in named:
        assert any(item.endswith(name) for item in untrusted), (name, untrusted)
    path, sha256 = _write(tmp_path, data)
    with pytest.raises(UnsafeArtifactError) as caught:
        _load(path, sha256)
    assert caught.value.reason == "UNTRUSTED_TYPES"
    assert isinstance(caught.value, FailedPreconditionError)
    for name in named:
        assert name in caught.value.message


def test_function_transformers_sklearn_builds_are_accepted(dumped):
    for case_id in ("column-transformer-passthrough", "hist-gradient-boosting-categorical"):
        _case, _model, data = dumped[case_id]
        assert FUNCTION_TRANSFORMER in model_files.referenced_types(data)
        assert inspect_artifact(data, "skops") == []


@pytest.mark.parametrize("fmt", ["pickle", "joblib"])
def test_pickle_and_joblib_are_refused_unless_allowed(fmt, tmp_path):
    model = LogisticRegression().fit(X_BIN, Y_BIN)
    if fmt == "pickle":
        data = pickle.dumps(model)
    else:
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        data = buffer.getvalue()
    path, sha256 = _write(tmp_path, data, f"model.{fmt}")
    with pytest.raises(UnsafeArtifactError) as caught:
        inspect_artifact(data, fmt)
    assert caught.value.reason == "PICKLE_REFUSED"
    with pytest.raises(UnsafeArtifactError) as caught:
        _load(path, sha256, fmt)
    assert caught.value.reason == "PICKLE_REFUSED"

    assert inspect_artifact(data, fmt, allow_pickle=True) == []
    with capture_logs() as logs:
        loaded = _load(path, sha256, fmt, allow_pickle=True)
    np.testing.assert_array_equal(loaded.predict(X_BIN), model.predict(X_BIN))
    assert [entry["log_level"] for entry in logs] == ["warning"]
    assert logs[0]["format"] == fmt


def test_a_corrupted_byte_is_refused(dumped, tmp_path):
    _case, _model, data = dumped["random-forest-classifier"]
    path, sha256 = _write(tmp_path, data)
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0x01
    path.write_bytes(bytes(damaged))
    with pytest.raises(ArtifactCorruptError) as caught:
        _load(path, sha256)
    assert caught.value.reason == "ARTIFACT_CORRUPT"
    assert sha256 in caught.value.message


@pytest.mark.parametrize(
    ("library", "recorded"),
    [
        ("scikit_learn", "other-minor"),
        ("scikit_learn", "other-major"),
        ("scikit_learn", ""),
        ("numpy", "other-major"),
    ],
)
def test_an_artifact_of_incompatible_library_versions_is_refused(
    library, recorded, dumped, tmp_path
):
    _case, _model, data = dumped["logistic-binary"]
    path, sha256 = _write(tmp_path, data)
    versions = current_framework_versions()
    major, minor = (int(part) for part in versions[library].split(".")[:2])
    versions[library] = {
        "other-minor": f"{major}.{minor + 1}.0",
        "other-major": f"{major + 1}.{minor}.0",
        "": "",
    }[recorded]
    with pytest.raises(IncompatibleArtifactError) as caught:
        _load(path, sha256, framework_versions=versions)
    assert caught.value.reason == "INCOMPATIBLE_FRAMEWORK"


def test_another_patch_release_is_compatible(dumped, tmp_path):
    _case, model, data = dumped["logistic-binary"]
    path, sha256 = _write(tmp_path, data)
    versions = current_framework_versions()
    major, minor = versions["scikit_learn"].split(".")[:2]
    versions["scikit_learn"] = f"{major}.{minor}.99"
    versions["numpy"] = versions["numpy"].split(".")[0] + ".99.0"
    versions["python"] = "3.0.0"
    loaded = _load(path, sha256, framework_versions=versions)
    np.testing.assert_array_equal(loaded.predict(X_BIN), model.predict(X_BIN))


def test_unknown_formats_and_bad_digests_are_invalid_arguments(dumped, tmp_path):
    _case, _model, data = dumped["logistic-binary"]
    path, sha256 = _write(tmp_path, data)
    with pytest.raises(InvalidArgumentError) as caught:
        inspect_artifact(data, "onnx")
    assert caught.value.reason == "UNKNOWN_ARTIFACT_FORMAT"
    with pytest.raises(InvalidArgumentError):
        _load(path, "../" + sha256[3:])


@pytest.mark.parametrize("data", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_skops_file_is_malformed(data, tmp_path):
    with pytest.raises(MalformedArtifactError):
        inspect_artifact(data, "skops")
    path, sha256 = _write(tmp_path, data)
    with pytest.raises(MalformedArtifactError):
        _load(path, sha256)


def test_a_file_that_would_unpack_too_large_is_refused_before_unpacking(dumped):
    _case, _model, data = dumped["logistic-binary"]
    limits = model_files.ArchiveLimits(max_unpacked_bytes=len(data) // 2)
    with pytest.raises(model_files.ArtifactLimitError, match="unpacks to") as caught:
        inspect_artifact(data, "skops", limits=limits)
    assert caught.value.reason == "ARTIFACT_LIMIT_EXCEEDED"
    assert caught.value.metadata["limit"] == "max_unpacked_bytes"


def test_a_model_missing_its_internals_is_malformed_not_an_internal_error(dumped, tmp_path):
    def drop_predictors(model) -> None:
        del model._predictors[0][0].nodes

    _case, _model, data = dumped["hist-gradient-boosting-binary"]
    path, sha256 = _write(tmp_path, _rewrite(data, drop_predictors))
    with pytest.raises(MalformedArtifactError):
        _load(path, sha256)


def test_a_bound_method_in_the_schema_is_named(tmp_path):
    """skops reports bound methods as untrusted; a method of a trusted class is not trusted."""
    model = FunctionTransformer(StandardScaler().fit(X_REG).transform).fit(X_REG)
    untrusted = inspect_artifact(dump_model(model), "skops")
    assert "sklearn.preprocessing._data.StandardScaler.transform" in untrusted


# --- crafted index structures: refused at load, never followed at predict ----------------------


def _rewrite(data: bytes, edit: Callable[[object], None]) -> bytes:
    """The skops file of the model in ``data`` after ``edit`` changed it in place."""
    model = sio.loads(data, trusted=sorted(TRUSTED_TYPES))
    edit(model)
    return dump_model(model)


def _crafted_tree(model) -> None:
    tree = model.tree_
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][0] = 10**6
    replacement = type(tree)(tree.n_features, tree.n_classes, tree.n_outputs)
    replacement.__setstate__(dict(state, nodes=nodes))
    model.tree_ = replacement


def _crafted_forest(model) -> None:
    _crafted_tree(model.estimators_[1])


def _crafted_feature(model) -> None:
    tree = model.tree_
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    nodes["feature"][0] = 50
    replacement = type(tree)(tree.n_features, tree.n_classes, tree.n_outputs)
    replacement.__setstate__(dict(state, nodes=nodes))
    model.tree_ = replacement


def _crafted_predictor(model) -> None:
    model._predictors[1][0].nodes["right"][0] = 10**6


def _crafted_neighbours(model) -> None:
    state = list(model._tree.__getstate__())
    state[1] = np.full_like(state[1], 10**7)  # idx_array
    replacement = type(model._tree).__new__(type(model._tree))
    replacement.__setstate__(tuple(state))
    model._tree = replacement


def _crafted_boosting_width(model) -> None:
    model.estimators_ = np.repeat(model.estimators_, 3, axis=1)


@pytest.mark.parametrize(
    ("case_id", "edit"),
    [
        ("decision-tree-classifier", _crafted_tree),
        ("decision-tree-regressor", _crafted_feature),
        ("random-forest-classifier", _crafted_forest),
        ("hist-gradient-boosting-binary", _crafted_predictor),
        ("knn-kd-tree", _crafted_neighbours),
        ("knn-ball-tree", _crafted_neighbours),
        ("gradient-boosting-binary", _crafted_boosting_width),
    ],
)
def test_crafted_index_structures_are_refused(case_id, edit, dumped, tmp_path):
    _case, _model, data = dumped[case_id]
    crafted = _rewrite(data, edit)
    assert inspect_artifact(crafted, "skops") == []  # only trusted types: the check is structural
    path, sha256 = _write(tmp_path, crafted)
    with pytest.raises(MalformedArtifactError) as caught:
        _load(path, sha256)
    assert caught.value.reason == "MALFORMED_ARTIFACT"


def test_a_skops_file_is_a_zip_with_a_schema(dumped):
    """What _schema_types reads: the layout skops documents for its files."""
    _case, _model, data = dumped["pipeline"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "schema.json" in archive.namelist()


def test_a_member_that_inflates_past_its_declared_size_is_refused_while_streaming():
    with pytest.raises(model_files.ArtifactLimitError) as caught:
        inspect_artifact(understated(10_000_000, 1_000), "skops")
    assert caught.value.metadata["limit"] == "declared_size"


@pytest.mark.parametrize(
    ("limits", "limit"),
    [
        (model_files.ArchiveLimits(max_unpack_ratio=10), "max_unpacked_bytes"),
        (model_files.ArchiveLimits(max_member_bytes=1024), "max_member_bytes"),
        (model_files.ArchiveLimits(max_members=1), "max_members"),
        (model_files.ArchiveLimits(max_schema_bytes=16), "max_schema_bytes"),
    ],
)
def test_each_cap_is_checked_on_the_directory_and_named(limits, limit):
    with pytest.raises(model_files.ArtifactLimitError) as caught:
        inspect_artifact(zip_bomb(2 * 1024**2), "skops", limits=limits)
    assert caught.value.reason == "ARTIFACT_LIMIT_EXCEEDED"
    assert caught.value.metadata["limit"] == limit
