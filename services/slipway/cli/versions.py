"""`slipway versions`: list and show model versions, change, archive and download them."""

from __future__ import annotations

import argparse
from pathlib import Path

from slipway.cli import names
from slipway.cli.connect import clients, command
from slipway.cli.models import labels
from slipway.cli.output import (
    EXIT_OK,
    CliError,
    enum,
    fields,
    pairs,
    print_json,
    table,
    when,
)
from slipway.core.values import from_pb
from slipway.registry.v1 import artifact_pb2, model_version_pb2

FORMAT_SUFFIX = {"skops": ".skops", "pickle": ".pkl", "joblib": ".joblib", "npz": ".npz"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "versions",
        help="list, show, update, archive, download model versions",
        description="Versions are written MODEL:NUMBER, MODEL@ALIAS or "
        "models/MODEL/versions/NUMBER.",
    )
    actions = parser.add_subparsers(dest="versions_command", required=True, metavar="ACTION")

    listing = command(actions, "list", _list, "list a model's versions, newest first")
    listing.add_argument("model", help="MODEL or models/MODEL")
    listing.add_argument(
        "--filter",
        default="",
        help="AIP-160 filter, e.g. 'state = READY AND metrics.accuracy >= 0.9'",
    )
    listing.add_argument("--order-by", default="", help="e.g. 'metrics.accuracy desc'")
    listing.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")

    get = command(actions, "get", _get, "show one version")
    get.add_argument("version", help="MODEL:NUMBER or MODEL@ALIAS")

    update = command(actions, "update", _update, "change a version's description or labels")
    update.add_argument("version", help="MODEL:NUMBER or MODEL@ALIAS")
    update.add_argument("--description", default=None)
    update.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    update.add_argument("--remove-label", action="append", default=[], metavar="KEY")
    update.add_argument("--reason", default="", help="why (recorded in the audit log)")

    archive = command(actions, "archive", _archive, "archive a version no alias points to")
    archive.add_argument("version", help="MODEL:NUMBER")
    archive.add_argument("--reason", default="", help="why (recorded in the audit log)")
    archive.add_argument("--etag", default="", help="only if the version is unchanged since")

    download = command(
        actions,
        "download",
        _download,
        "download a version's artifact; its size and SHA-256 are checked",
    )
    download.add_argument("version", help="MODEL:NUMBER or MODEL@ALIAS")
    download.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="file to write (default: MODEL-vNUMBER.FORMAT here)",
    )
    download.add_argument(
        "--reference-sample",
        action="store_true",
        help="the version's reference sample (.npz) instead of the model",
    )


def state(version: model_version_pb2.ModelVersion) -> str:
    return enum(model_version_pb2.ModelVersionState, version.state, "MODEL_VERSION_STATE_")


def show(version: model_version_pb2.ModelVersion) -> None:
    artifact = version.artifact
    lineage = version.lineage
    params = {k: from_pb(v) for k, v in version.params.items()}
    features = ", ".join(f.name for f in version.signature.inputs)
    fields(
        [
            ("name", version.name),
            (
                "state",
                state(version) + (f" ({version.state_message})" if version.state_message else ""),
            ),
            ("aliases", ", ".join(version.aliases) or "none"),
            ("description", version.description),
            ("labels", pairs(version.labels)),
            ("metrics", pairs(version.metrics)),
            ("params", pairs(params)),
            ("features", features),
            (
                "takes NaN",
                "yes" if version.signature.accepts_missing_values else "no (INVALID_ARGUMENT)",
            ),
            ("training job", lineage.training_job),
            (
                "dataset",
                f"{lineage.dataset.uri} ({lineage.dataset.row_count} rows, sha256 "
                f"{lineage.dataset.sha256[:16]}…)"
                if lineage.dataset.uri
                else "",
            ),
            ("parent", lineage.parent_version),
            (
                "artifact",
                f"{enum(artifact_pb2.ArtifactFormat, artifact.format, 'ARTIFACT_FORMAT_')}"
                f", {artifact.size_bytes:,} bytes, sha256 {artifact.sha256}"
                if artifact.sha256
                else "",
            ),
            ("scikit-learn", version.framework_versions.scikit_learn),
            ("created by", version.created_by),
            ("created", when(version, "create_time")),
            ("ready", when(version, "ready_time") if version.HasField("ready_time") else ""),
            ("archived", when(version, "archive_time") if version.HasField("archive_time") else ""),
            ("etag", version.etag),
        ]
    )


def _list(args: argparse.Namespace) -> int:
    model = names.model(args.model)
    with clients(args) as suite:
        found = []
        for version in suite.registry.list_versions(
            model, filter=args.filter, order_by=args.order_by
        ):
            found.append(version)
            if args.limit and len(found) >= args.limit:
                break
    if args.json:
        print_json(found)
        return EXIT_OK
    table(
        ("version", "state", "aliases", "metrics", "training job", "created by", "created"),
        [
            (
                v.version_number,
                state(v),
                ",".join(v.aliases) or "-",
                pairs(v.metrics, limit=3) or "-",
                v.lineage.training_job or "-",
                v.created_by,
                when(v, "create_time"),
            )
            for v in found
        ],
        empty=f"{model} has no versions",
    )
    return EXIT_OK


def _get(args: argparse.Namespace) -> int:
    ref = names.required_version(args.version)
    with clients(args) as suite:
        version = suite.registry.get_version(ref.name)
    if args.json:
        print_json(version)
    else:
        show(version)
    return EXIT_OK


def _update(args: argparse.Namespace) -> int:
    ref = names.required_version(args.version)
    new_labels = labels(args.label)
    mask = []
    with clients(args) as suite:
        version = suite.registry.get_version(ref.name)
        if args.description is not None:
            version.description = args.description
            mask.append("description")
        if new_labels or args.remove_label:
            for key in args.remove_label:
                version.labels.pop(key, None)
            version.labels.update(new_labels)
            mask.append("labels")
        if not mask:
            raise CliError("nothing to change: pass --description, --label or --remove-label")
        version = suite.registry.update_version(version, mask, reason=args.reason)
    if args.json:
        print_json(version)
    else:
        print(f"updated {version.name} ({', '.join(mask)})")
    return EXIT_OK


def _archive(args: argparse.Namespace) -> int:
    ref = names.required_version(args.version)
    with clients(args) as suite:
        version = suite.registry.archive_version(ref.name, reason=args.reason, etag=args.etag)
    if args.json:
        print_json(version)
    else:
        print(f"archived {version.name}")
    return EXIT_OK


def _download(args: argparse.Namespace) -> int:
    ref = names.required_version(args.version)
    kind = (
        artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE
        if args.reference_sample
        else artifact_pb2.ARTIFACT_KIND_MODEL
    )
    # Without --output the file's name needs the resolved number and the format, which only
    # the stream's header says: it is received under a temporary name first.
    path = args.output or Path(f".{ref.model_id}.download")
    with clients(args) as suite:
        try:
            header = suite.registry.download(ref.name, path, kind=kind)
        except BaseException:
            if args.output is None:
                path.unlink(missing_ok=True)
            raise
    if args.output is None:
        fmt = enum(artifact_pb2.ArtifactFormat, header.artifact.format, "ARTIFACT_FORMAT_")
        resolved = header.model_version.rsplit("/", 1)[-1]
        sample = "-sample" if args.reference_sample else ""
        final = Path(f"{ref.model_id}-v{resolved}{sample}{FORMAT_SUFFIX.get(fmt, '.bin')}")
        try:
            path.replace(final)
        finally:
            path.unlink(missing_ok=True)
        path = final
    summary = {
        "path": str(path),
        "model_version": header.model_version,
        "sha256": header.artifact.sha256,
        "size_bytes": header.artifact.size_bytes,
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"wrote {path} from {header.model_version}: {header.artifact.size_bytes:,} bytes, "
            f"sha256 {header.artifact.sha256} (checked)"
        )
    return EXIT_OK
