"""`slipway train`: create a training job from flags or a JSON spec, and follow it.

    slipway train --model iris --dataset bundled:iris --estimator LogisticRegression \\
        --param C=0.5 --param max_iter=500 --search grid --search-param C=0.1,1,10 --wait

With ``--wait`` a progress bar follows the job (one line redrawn on a terminal, one line per
change otherwise, on stderr) and the exit code says how it ended: 0 succeeded, 1 failed or
cancelled.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from google.protobuf import json_format

from slipway.cli import names
from slipway.cli.connect import Clients, clients, command, seconds
from slipway.cli.models import labels
from slipway.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    enum,
    pairs,
    print_json,
)
from slipway.common.v1 import value_pb2
from slipway.core.values import from_pb, to_pb
from slipway.training.v1 import (
    dataset_spec_pb2,
    estimator_spec_pb2,
    search_spec_pb2,
    training_job_pb2,
)

BAR_WIDTH = 30
REGRESSORS = {"LinearRegression", "Ridge", "Lasso", "ElasticNet", "SVR", "LinearSVR"}
SUCCEEDED = training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED
BUNDLED = {
    name.removeprefix("BUNDLED_DATASET_").lower(): number
    for name, number in dataset_spec_pb2.BundledDataset.items()
    if number
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = command(
        subparsers,
        "train",
        _train,
        "create a training job (and follow it with --wait)",
        description="Create a training job from flags, or from a TrainingJob in JSON (--spec; "
        "flags given as well override its fields). The dataset is bundled "
        "(bundled:iris, wine, breast_cancer, diabetes, digits) or a CSV/Parquet "
        "path under the training service's data root.",
    )
    spec = parser.add_argument_group("job")
    spec.add_argument(
        "--spec",
        type=Path,
        default=None,
        metavar="JOB.json",
        help="a TrainingJob in JSON (proto field names)",
    )
    spec.add_argument("--model", default=None, help="model to register the result as")
    spec.add_argument("--dataset", default=None, metavar="bundled:NAME|PATH")
    spec.add_argument("--target-column", default=None)
    spec.add_argument(
        "--feature-column",
        action="append",
        default=[],
        metavar="COLUMN",
        help="a feature column, in order (repeatable; default: all others)",
    )
    spec.add_argument("--categorical-column", action="append", default=[], metavar="COLUMN")
    spec.add_argument(
        "--task",
        choices=("classification", "regression"),
        default=None,
        help="default: from the estimator's name and the dataset",
    )
    spec.add_argument(
        "--estimator",
        default=None,
        metavar="CLASS",
        help="scikit-learn class name, e.g. RandomForestClassifier",
    )
    spec.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a hyperparameter; VALUE is typed as JSON (4, 0.5, true, null, "
        '"text"), else taken as text (repeatable)',
    )
    spec.add_argument("--search", choices=("grid", "random"), default=None)
    spec.add_argument(
        "--search-param",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help="values to search (repeatable)",
    )
    spec.add_argument("--cv-folds", type=int, default=None)
    spec.add_argument("--scoring", default=None, help="e.g. accuracy, f1_macro, r2")
    spec.add_argument("--n-iter", type=int, default=None, help="random search: candidates")
    spec.add_argument("--test-fraction", type=float, default=None)
    spec.add_argument(
        "--stratify",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep the target's class proportions in the holdout (default for a "
        "classification whose every class has 2 rows; --stratify requires it, "
        "--no-stratify turns it off)",
    )
    spec.add_argument("--seed", type=int, default=None)
    spec.add_argument("--max-runtime", type=seconds, default=None, metavar="SECONDS")
    spec.add_argument(
        "--alias-on-success",
        default=None,
        help="alias to give the new version (never a protected one)",
    )
    spec.add_argument("--parent-version", default=None, metavar="MODEL:NUMBER")
    spec.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    spec.add_argument("--reason", default=None, help="why (recorded with the job)")
    spec.add_argument(
        "--validate-only", action="store_true", help="check the spec without queueing a job"
    )
    follow = parser.add_argument_group("following")
    follow.add_argument(
        "--wait",
        action="store_true",
        help="follow the job until it ends; exit 1 unless it succeeded",
    )
    follow.add_argument("--wait-timeout", type=seconds, default=3600.0, metavar="SECONDS")


# -- the job -----------------------------------------------------------------------------------


def typed(text: str) -> Any:
    """A flag's value with its type: JSON where it parses, Python's True/False/None, else text."""
    try:
        return json.loads(text)
    except ValueError:
        return {"True": True, "False": False, "None": None}.get(text, text)


def _assignment(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise CliError(f"{flag} {item!r}: write NAME=VALUE")
    return name, value


def _dataset(text: str, job: training_job_pb2.TrainingJob) -> None:
    kind, sep, rest = text.partition(":")
    if sep and kind == "bundled":
        if rest.lower() not in BUNDLED:
            raise CliError(
                f"--dataset {text!r}: no bundled dataset {rest!r} (one of {', '.join(BUNDLED)})"
            )
        job.dataset.bundled = BUNDLED[rest.lower()]
    else:
        job.dataset.path = text


def _task(job: training_job_pb2.TrainingJob) -> training_job_pb2.TaskType.ValueType:
    if job.dataset.bundled == dataset_spec_pb2.BUNDLED_DATASET_DIABETES:
        return training_job_pb2.TASK_TYPE_REGRESSION
    final = job.estimator
    while final.WhichOneof("spec") == "pipeline" and final.pipeline.steps:
        final = final.pipeline.steps[-1].spec
    name = final.estimator.class_name
    if name.endswith("Regressor") or name in REGRESSORS:
        return training_job_pb2.TASK_TYPE_REGRESSION
    return training_job_pb2.TASK_TYPE_CLASSIFICATION


def _read_spec(path: Path) -> training_job_pb2.TrainingJob:
    try:
        text = path.read_text()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json_format.Parse(text, training_job_pb2.TrainingJob())
    except json_format.ParseError as exc:
        raise CliError(f"{path} is not a TrainingJob in JSON: {exc}") from None


def build_job(args: argparse.Namespace) -> training_job_pb2.TrainingJob:
    """The job the flags (over ``--spec``) describe."""
    job = _read_spec(args.spec) if args.spec else training_job_pb2.TrainingJob()
    if args.model:
        job.model = names.model(args.model)
    if args.dataset:
        _dataset(args.dataset, job)
    if args.target_column is not None:
        job.dataset.target_column = args.target_column
    if args.feature_column:
        job.dataset.feature_columns[:] = args.feature_column
    if args.categorical_column:
        job.dataset.categorical_columns[:] = args.categorical_column
    if args.estimator:
        job.estimator.CopyFrom(
            estimator_spec_pb2.EstimatorSpec(
                estimator=estimator_spec_pb2.Estimator(class_name=args.estimator)
            )
        )
    if args.param:
        if job.estimator.WhichOneof("spec") != "estimator":
            raise CliError(
                "--param needs --estimator (or a spec with a single estimator); "
                "give pipelines' parameters in --spec"
            )
        for item in args.param:
            name, value = _assignment(item, "--param")
            job.estimator.estimator.hyperparameters[name].CopyFrom(to_pb(typed(value)))
    _search(args, job)
    if args.test_fraction is not None:
        job.split.test_fraction = args.test_fraction
    if args.stratify is not None:
        job.split.stratify = args.stratify
    if args.seed is not None:
        job.split.seed = args.seed
    if args.max_runtime is not None:
        job.limits.max_runtime.FromNanoseconds(int(args.max_runtime * 1e9))
    if args.alias_on_success is not None:
        job.alias_on_success = args.alias_on_success
    if args.parent_version:
        job.parent_version = names.required_version(args.parent_version).name
    if args.label:
        job.labels.update(labels(args.label))
    if args.reason is not None:
        job.reason = args.reason
    if args.task:
        job.task = training_job_pb2.TaskType.Value(f"TASK_TYPE_{args.task.upper()}")
    elif not job.task:
        job.task = _task(job)
    missing = [
        flag
        for flag, present in (
            ("--model", job.model),
            ("--dataset", job.dataset.WhichOneof("source")),
            ("--estimator", job.estimator.WhichOneof("spec")),
        )
        if not present
    ]
    if missing:
        raise CliError(f"the job needs {', '.join(missing)} (or a --spec that has them)")
    return job


def _search(args: argparse.Namespace, job: training_job_pb2.TrainingJob) -> None:
    if args.search:
        job.search.strategy = search_spec_pb2.SearchStrategy.Value(
            f"SEARCH_STRATEGY_{args.search.upper()}"
        )
    for item in args.search_param:
        name, values = _assignment(item, "--search-param")
        job.search.parameters.append(
            search_spec_pb2.SearchParameter(
                name=name,
                values=value_pb2.ValueList(values=[to_pb(typed(v)) for v in values.split(",")]),
            )
        )
    if args.cv_folds is not None:
        job.search.cv_folds = args.cv_folds
    if args.scoring is not None:
        job.search.scoring = args.scoring
    if args.n_iter is not None:
        job.search.n_iter = args.n_iter
    if job.HasField("search") and not job.search.strategy:
        raise CliError(
            "--search-param, --cv-folds, --scoring and --n-iter need --search grid or random"
        )


# -- following ---------------------------------------------------------------------------------


def state(job: training_job_pb2.TrainingJob) -> str:
    return enum(training_job_pb2.TrainingJobState, job.state, "TRAINING_JOB_STATE_")


def progress_text(job: training_job_pb2.TrainingJob) -> str:
    """``[#####-----]  42.0% running searching trial 3/8`` for a job."""
    percent = max(0.0, min(job.progress.percent, 100.0))
    filled = int(BAR_WIDTH * percent / 100)
    line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {percent:5.1f}% {state(job)}"
    if job.state == training_job_pb2.TRAINING_JOB_STATE_RUNNING:
        line += " " + enum(training_job_pb2.TrainingStage, job.progress.stage, "TRAINING_STAGE_")
        if job.progress.trial_count:
            line += f" trial {job.progress.trial}/{job.progress.trial_count}"
    return line


class ProgressBar:
    """A job's progress on ``stream``: one line redrawn on a terminal, else a line per change."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = ""
        self.width = 0

    def __call__(self, job: training_job_pb2.TrainingJob) -> None:
        line = progress_text(job)
        if line == self.last:
            return
        self.last = line
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = max(self.width, len(line))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()


def follow(
    suite: Clients, name: str, timeout: float, quiet: bool = False
) -> training_job_pb2.TrainingJob:
    """Wait for the job, showing its progress (unless ``quiet``), and return it as it ended."""
    bar = ProgressBar()
    try:
        return suite.training.wait(name, timeout, on_progress=None if quiet else bar)
    finally:
        bar.close()


def outcome(job: training_job_pb2.TrainingJob, as_json: bool, *, summary: bool = True) -> int:
    """Print how a job ended (``summary``: the job itself, else only a failure); 0 when it
    succeeded, 1 otherwise."""
    if not summary:
        pass
    elif as_json:
        print_json(job)
    elif job.state == SUCCEEDED:
        print(f"{job.name} succeeded: {job.model_version}")
        if job.metrics:
            print(f"  metrics: {pairs(job.metrics)}")
        if job.best_params:
            print(f"  best params: {pairs({k: from_pb(v) for k, v in job.best_params.items()})}")
        if job.alias_on_success:
            print(f"  alias {job.alias_on_success} -> {job.model_version}")
    if job.state != SUCCEEDED:
        category = enum(training_job_pb2.FailureCategory, job.failure.category, "FAILURE_CATEGORY_")
        why = (
            f" ({category.upper()}): {job.failure.message}"
            if job.failure.message
            else f" by {job.cancelled_by}: {job.cancel_reason}"
            if job.cancelled_by
            else ""
        )
        print(f"error: {job.name} {state(job)}{why}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    job = build_job(args)
    with clients(args) as suite:
        created = suite.training.create(job, validate_only=args.validate_only)
        if args.validate_only:
            print(json.dumps({"valid": True}) if args.json else "the job is valid")
            return EXIT_OK
        if not args.wait:
            if args.json:
                print_json(created)
            else:
                print(
                    f"{created.name} {state(created)}; follow it with "
                    f"`slipway jobs watch {created.name.removeprefix('trainingJobs/')}`"
                )
            return EXIT_OK
        print(f"{created.name} {state(created)}", file=sys.stderr)
        done = follow(suite, created.name, args.wait_timeout)
    return outcome(done, args.json)
