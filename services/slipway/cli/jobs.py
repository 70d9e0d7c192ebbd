"""`slipway jobs`: list, show, cancel and watch training jobs."""

from __future__ import annotations

import argparse

from slipway.cli import names
from slipway.cli.connect import clients, command, seconds
from slipway.cli.output import (
    EXIT_OK,
    enum,
    fields,
    pairs,
    print_json,
    print_json_line,
    table,
    when,
)
from slipway.cli.train import ProgressBar, outcome, progress_text, state
from slipway.core.values import from_pb
from slipway.training.v1 import dataset_spec_pb2, training_job_pb2

STATES = [
    n.removeprefix("TRAINING_JOB_STATE_").lower()
    for n in training_job_pb2.TrainingJobState.keys()[1:]
]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "jobs",
        help="list, show, cancel and watch training jobs",
        description="Jobs are written ID or trainingJobs/ID.",
    )
    actions = parser.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")

    listing = command(actions, "list", _list, "list jobs, newest first")
    listing.add_argument("--model", default="", help="only this model's")
    listing.add_argument(
        "--state",
        action="append",
        choices=STATES,
        default=[],
        help="only jobs in this state (repeatable)",
    )
    listing.add_argument("--created-by", default="", help="only this principal's")
    listing.add_argument(
        "--filter",
        default="",
        help="an AIP-160 filter, ANDed with the options above, e.g. 'trigger = DRIFT AND "
        'create_time >= "2025-01-01T00:00:00Z"\' (fields: state, trigger, model, created_by, '
        "create_time)",
    )
    listing.add_argument("--oldest-first", action="store_true")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (0: all)")

    get = command(actions, "get", _get, "show one job")
    get.add_argument("job", help="ID or trainingJobs/ID")

    cancel = command(actions, "cancel", _cancel, "cancel a queued or running job")
    cancel.add_argument("job", help="ID or trainingJobs/ID")
    cancel.add_argument("--reason", default="", help="why (recorded in the audit log)")

    watch = command(
        actions,
        "watch",
        _watch,
        "follow a job until it ends; exit 1 unless it succeeded",
        description="A progress bar on stderr (one line redrawn on a terminal, a "
        "line per change otherwise); with --json one JSON line per "
        "change on stdout.",
    )
    watch.add_argument("job", help="ID or trainingJobs/ID")
    watch.add_argument("--wait-timeout", type=seconds, default=3600.0, metavar="SECONDS")


def show(job: training_job_pb2.TrainingJob) -> None:
    spec = job.estimator
    estimator = (
        spec.estimator.class_name
        if spec.WhichOneof("spec") == "estimator"
        else spec.WhichOneof("spec") or ""
    )
    dataset = job.dataset
    source = dataset.path
    if dataset.WhichOneof("source") == "bundled":
        source = "bundled:" + enum(
            dataset_spec_pb2.BundledDataset, dataset.bundled, "BUNDLED_DATASET_"
        )
    failure = ""
    if job.failure.message:
        category = enum(training_job_pb2.FailureCategory, job.failure.category, "FAILURE_CATEGORY_")
        failure = f"{category.upper()}: {job.failure.message}" + (
            " (retryable)" if job.failure.retryable else ""
        )
    fields(
        [
            ("name", job.name),
            ("model", job.model),
            ("state", state(job)),
            ("progress", progress_text(job)),
            ("task", enum(training_job_pb2.TaskType, job.task, "TASK_TYPE_")),
            ("estimator", estimator),
            ("dataset", source),
            (
                "trigger",
                enum(training_job_pb2.TrainingTrigger, job.trigger, "TRAINING_TRIGGER_")
                + (f" ({job.trigger_source})" if job.trigger_source else ""),
            ),
            ("reason", job.reason),
            ("parent version", job.parent_version),
            ("alias on success", job.alias_on_success),
            ("model version", job.model_version),
            ("metrics", pairs(job.metrics)),
            ("best params", pairs({k: from_pb(v) for k, v in job.best_params.items()})),
            ("failure", failure),
            (
                "cancelled by",
                f"{job.cancelled_by}: {job.cancel_reason}" if job.cancelled_by else "",
            ),
            ("attempts", job.attempt_count),
            ("created by", job.created_by),
            ("created", when(job, "create_time")),
            ("started", when(job, "start_time") if job.HasField("start_time") else ""),
            ("ended", when(job, "end_time") if job.HasField("end_time") else ""),
        ]
    )


def _list(args: argparse.Namespace) -> int:
    states = [
        training_job_pb2.TrainingJobState.Value(f"TRAINING_JOB_STATE_{s.upper()}")
        for s in args.state
    ]
    with clients(args) as suite:
        found = []
        jobs = suite.training.list(
            states=states,
            model=args.model,
            created_by=args.created_by,
            filter=args.filter,
            oldest_first=args.oldest_first,
        )
        for job in jobs:
            found.append(job)
            if args.limit and len(found) >= args.limit:
                break
    if args.json:
        print_json(found)
        return EXIT_OK
    table(
        ("job", "model", "state", "progress", "version", "trigger", "created by", "created"),
        [
            (
                j.name.removeprefix("trainingJobs/"),
                j.model.removeprefix("models/"),
                state(j),
                f"{j.progress.percent:.0f}%",
                j.model_version.removeprefix("models/") or "-",
                enum(training_job_pb2.TrainingTrigger, j.trigger, "TRAINING_TRIGGER_"),
                j.created_by,
                when(j, "create_time"),
            )
            for j in found
        ],
        empty="no training jobs",
    )
    return EXIT_OK


def _get(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        job = suite.training.get(names.job(args.job))
    if args.json:
        print_json(job)
    else:
        show(job)
    return EXIT_OK


def _cancel(args: argparse.Namespace) -> int:
    with clients(args) as suite:
        job = suite.training.cancel(names.job(args.job), reason=args.reason)
    if args.json:
        print_json(job)
    else:
        print(f"{job.name} {state(job)}")
    return EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    bar = ProgressBar()
    with clients(args) as suite:
        try:
            done = suite.training.wait(
                names.job(args.job),
                args.wait_timeout,
                on_progress=print_json_line if args.json else bar,
            )
        finally:
            bar.close()
    return outcome(done, args.json, summary=not args.json)
