"""Hyperparameter search with cross-validation, reporting progress after every fit.

``GridSearchCV`` and ``RandomizedSearchCV`` report nothing until they finish, so the search is
done here with their building blocks: candidates from ``ParameterGrid`` or ``ParameterSampler``,
folds from ``check_cv`` (stratified, unshuffled folds for classifiers: deterministic), one fit per
candidate and fold, in parallel through joblib when asked. A fit that raises scores -inf, as
``error_score=-inf`` would; the best candidate is the one with the highest mean score, the first
one on a tie.

Domains: an explicit list is used as is. An integer range is every ``step``-th value on a grid
and uniform (``scipy.stats.randint``) in a random search. A floating-point range is
``grid_points`` evenly spaced points (``numpy.linspace``, or ``numpy.geomspace`` on a log scale)
on a grid and ``scipy.stats.uniform`` (or ``loguniform``) in a random search.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from joblib import Parallel, delayed  # type: ignore[import-untyped]
from scipy import stats  # type: ignore[import-untyped]
from sklearn.base import clone, is_classifier  # type: ignore[import-untyped]
from sklearn.metrics import get_scorer  # type: ignore[import-untyped]
from sklearn.model_selection import (  # type: ignore[import-untyped]
    ParameterGrid,
    ParameterSampler,
    check_cv,
)

from slipway.services.training.engine.estimators import coerce, resolve_parameter
from slipway.services.training.engine.failures import category_of, failure, short_message
from slipway.services.training.engine.outcome import FailureCategory, Progress, TrainingFailed
from slipway.services.training.engine.spec import SearchParameter, SearchSpec

__all__ = [
    "DEFAULT_CV_FOLDS",
    "DEFAULT_GRID_POINTS",
    "DEFAULT_N_ITER",
    "MAX_CANDIDATES",
    "SearchResult",
    "candidates",
    "cv_folds",
    "domain_size",
    "grid_values",
    "n_iter",
    "parallel_trials",
    "search",
]

DEFAULT_CV_FOLDS = 5
DEFAULT_N_ITER = 10
DEFAULT_GRID_POINTS = 5
MAX_CANDIDATES = 10_000


def cv_folds(spec: SearchSpec) -> int:
    return spec.cv_folds or DEFAULT_CV_FOLDS


def n_iter(spec: SearchSpec) -> int:
    return spec.n_iter or DEFAULT_N_ITER


def parallel_trials(spec: SearchSpec) -> int:
    return spec.max_parallel_trials or 1


@dataclass(frozen=True)
class SearchResult:
    best_params: dict[str, Any]  # as set on the estimator (may hold numpy scalars)
    best_score: float
    candidates: tuple[dict[str, Any], ...]
    mean_scores: tuple[float, ...]  # per candidate; -inf where a fit failed
    folds: int
    scoring: str  # "" for the estimator's own score


# --- candidates --------------------------------------------------------------------------------


def _int_grid(domain: tuple[int, int, int]) -> range:
    low, high, step = domain
    return range(low, high + 1, step or 1)


def _double_grid(domain: tuple[float, float, bool, int]) -> list[float]:
    low, high, log_scale, points = domain
    space = np.geomspace if log_scale else np.linspace
    return [float(v) for v in space(low, high, points or DEFAULT_GRID_POINTS)]


def domain_size(parameter: SearchParameter) -> int:
    """The number of grid values of a (valid) parameter."""
    if parameter.values is not None:
        return len(parameter.values)
    if parameter.int_range is not None:
        low, high, step = parameter.int_range
        # Counted, not measured: len() of a range past sys.maxsize values raises OverflowError.
        return max(0, (high - low) // (step or 1) + 1)
    if parameter.double_range is not None:
        return parameter.double_range[3] or DEFAULT_GRID_POINTS
    return 0


def grid_values(parameter: SearchParameter) -> list[Any]:
    if parameter.values is not None:
        return list(parameter.values)
    if parameter.int_range is not None:
        return list(_int_grid(parameter.int_range))
    if parameter.double_range is not None:
        return _double_grid(parameter.double_range)
    raise ValueError(f"search parameter {parameter.name!r} has no domain")


def _random_domain(parameter: SearchParameter) -> Any:
    if parameter.int_range is not None:
        low, high, _step = parameter.int_range
        return stats.randint(low, high + 1)
    if parameter.double_range is not None:
        least, most, log_scale, _points = parameter.double_range
        return stats.loguniform(least, most) if log_scale else stats.uniform(least, most - least)
    return grid_values(parameter)


def candidates(model: Any, spec: SearchSpec, *, seed: int) -> list[dict[str, Any]]:
    """The parameter sets to try, in a deterministic order."""
    owners = {p.name: resolve_parameter(model, p.name) for p in spec.parameters}

    def coerced(name: str, values: list[Any]) -> list[Any]:
        cls, leaf = owners[name]
        return [coerce(cls, leaf, value) for value in values]

    if spec.strategy == "grid":
        return list(
            ParameterGrid({p.name: coerced(p.name, grid_values(p)) for p in spec.parameters})
        )
    domains = {p.name: _random_domain(p) for p in spec.parameters}
    count = n_iter(spec)
    if all(isinstance(domain, list) for domain in domains.values()):
        # Only lists: ParameterSampler draws without replacement and warns if asked for more
        # candidates than there are.
        count = min(count, math.prod(len(domain) for domain in domains.values()))
        domains = {name: coerced(name, domain) for name, domain in domains.items()}
    else:
        domains = {
            name: coerced(name, domain) if isinstance(domain, list) else domain
            for name, domain in domains.items()
        }
    return list(ParameterSampler(domains, count, random_state=seed))


# --- fitting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    candidate: int
    fold: int
    score: float | None  # None: the fit or the scoring raised
    error: str
    category: FailureCategory


def _fit_and_score(
    candidate: int,
    fold: int,
    model: Any,
    params: dict[str, Any],
    x: npt.NDArray[Any],
    y: npt.NDArray[Any],
    train: npt.NDArray[np.intp],
    test: npt.NDArray[np.intp],
    scoring: str,
) -> _Fit:
    try:
        estimator = clone(model).set_params(**params)
        estimator.fit(x[train], y[train])
        if scoring:
            score = get_scorer(scoring)(estimator, x[test], y[test])
        else:
            score = estimator.score(x[test], y[test])
        return _Fit(candidate, fold, float(score), "", "bad_spec")
    except Exception as exc:  # a failing candidate scores -inf, as error_score=-inf does
        return _Fit(candidate, fold, None, short_message(exc), category_of(exc))


def _run(jobs: list[tuple[Any, ...]], workers: int) -> Iterable[_Fit]:
    if workers == 1:
        return (_fit_and_score(*job) for job in jobs)
    # Unordered, so that progress is reported as each fit finishes.
    results: Iterator[_Fit] = Parallel(n_jobs=workers, return_as="generator_unordered")(
        delayed(_fit_and_score)(*job) for job in jobs
    )
    return results


def search(
    model: Any,
    spec: SearchSpec,
    x: npt.NDArray[Any],
    y: npt.NDArray[Any],
    *,
    seed: int,
    progress: Callable[[Progress], None],
    percent: tuple[float, float] = (5.0, 80.0),
) -> SearchResult:
    """Cross-validate every candidate of ``spec`` for the unfitted ``model`` on ``x`` and ``y``.

    Reports ``Progress(stage="searching")`` after each fit, its percent rising from
    ``percent[0]`` to ``percent[1]``. ``TrainingFailed`` when the folds cannot be made or every
    candidate fails (with the first error).
    """
    params = candidates(model, spec, seed=seed)
    folds = cv_folds(spec)
    try:
        splitter = check_cv(folds, y, classifier=is_classifier(model))
        splits = list(splitter.split(x, y))
    except ValueError as exc:
        raise failure(exc, "splitting the training data into folds") from None
    total = len(params) * len(splits)
    jobs = [
        (c, f, model, params[c], x, y, train, test, spec.scoring)
        for c in range(len(params))
        for f, (train, test) in enumerate(splits)
    ]
    scores = np.full((len(params), len(splits)), -math.inf)
    errors: dict[tuple[int, int], _Fit] = {}
    start, end = percent
    for done, fit in enumerate(_run(jobs, parallel_trials(spec)), start=1):
        if fit.score is None:
            errors[fit.candidate, fit.fold] = fit
        elif math.isfinite(fit.score):
            scores[fit.candidate, fit.fold] = fit.score
        progress(
            Progress(
                stage="searching",
                percent=start + (end - start) * done / total,
                message=f"fitted candidate {fit.candidate + 1}/{len(params)}, "
                f"fold {fit.fold + 1}/{len(splits)}",
                trial=done,
                trial_count=total,
            )
        )
    failed = {candidate for candidate, _fold in errors}
    if len(failed) == len(params):
        first = errors[min(errors)]
        raise TrainingFailed(
            first.category,
            short_message(
                ValueError(f"every search candidate failed; the first error: {first.error}")
            ),
        )
    means = [float(row.mean()) for row in scores]  # any -inf fold makes the mean -inf
    best = 0
    for index, mean in enumerate(means):
        if mean > means[best]:
            best = index
    return SearchResult(
        best_params=dict(params[best]),
        best_score=means[best],
        candidates=tuple(dict(p) for p in params),
        mean_scores=tuple(means),
        folds=len(splits),
        scoring=spec.scoring,
    )
