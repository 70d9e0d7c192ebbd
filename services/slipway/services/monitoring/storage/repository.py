"""Monitoring's storage: a repository that receives the session of the caller's unit of work.

Policies, alerts and reports are kept as their API messages (see ``tables``); the repository
parses and serializes them (with the message mapping in ..messages) and keeps the columns beside
them in step. The domain never sees a row or a SQL statement.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from itertools import chain
from typing import Protocol, cast

from google.protobuf import unknown_fields  # type: ignore[attr-defined]  # not in the stubs
from google.protobuf.message import DecodeError
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipway.common.v1 import tensor_pb2
from slipway.monitoring.v1 import alert_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2
from slipway.services.monitoring.domain.entities import (
    Alert,
    EvaluationCursor,
    KnownLabel,
    NewPendingLabel,
    NewPrediction,
    PendingLabel,
    Policy,
    Report,
    StoredRecord,
    Tensor,
)
from slipway.services.monitoring.messages import (
    alert_from_pb,
    alert_to_pb,
    policy_from_pb,
    policy_to_pb,
    record_from_pb,
    report_from_pb,
    report_to_pb,
    tensor_from_pb,
    tensor_to_pb,
)
from slipway.services.monitoring.storage.tables import (
    AlertRow,
    EvaluationRow,
    PendingLabelRow,
    PolicyRow,
    PredictionRow,
    ReportRow,
)

FETCH_ROWS = 500  # records fetched per round trip while a window is read
# The table itself: ingest inserts through it, not through the ORM bulk path (which costs more per
# row than the insert).
PREDICTIONS = cast(Table, PredictionRow.__table__)
INSERT_ROWS = 100  # rows per INSERT at ingest: 900 parameters, below every database's limit


@lru_cache(maxsize=16)
def _insert_predictions(rows: int, mark: str) -> str:
    """The statement for ``rows`` rows with the driver's placeholder ``mark``: made of
    constants and placeholders only (every value is a parameter)."""
    values = f"({', '.join([mark] * 9)})"
    columns = (
        "model, model_version, request_id, role, alias, time, received_time, row_count, record"
    )
    return f"INSERT INTO monitoring_predictions ({columns}) VALUES " + ", ".join(  # noqa: S608
        [values] * rows
    )


# PostgreSQL binds the named tuples as they are: their fields must be those columns, in order.
if NewPrediction._fields != (
    "model",
    "model_version",
    "request_id",
    "role",
    "alias",
    "time",
    "received_time",
    "row_count",
    "encoded",
):
    raise RuntimeError("NewPrediction's fields are not monitoring_predictions' columns")
_ZONED_TEXT = len("2026-01-01 00:00:00.000000")


def _sqlite_time(value: datetime) -> str:
    """An aware time as ``UtcDateTime`` binds it on SQLite (zone-free UTC text, microseconds)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:_ZONED_TEXT]  # without "+00:00"


IN_CHUNK = 500  # request ids per IN list, well below every database's parameter limit


def _policy(row: PolicyRow) -> Policy:
    message = policy_pb2.MonitoringPolicy()
    message.ParseFromString(row.policy)
    return policy_from_pb(message)


# Alerts stored before the Alert message named its report (field 18) embedded the whole report in
# field 10, now reserved; the name is read from there so those rows keep pointing at their report.
_LEGACY_REPORT_FIELD = 10


def _legacy_report_name(message: alert_pb2.Alert) -> str:
    for field in unknown_fields.UnknownFieldSet(message):
        if field.field_number == _LEGACY_REPORT_FIELD and isinstance(field.data, bytes):
            report = report_pb2.MonitoringReport()
            report.ParseFromString(field.data)
            return report.name
    return ""


def _alert(row: AlertRow) -> Alert:
    message = alert_pb2.Alert()
    message.ParseFromString(row.alert)
    if not message.report:
        message.report = _legacy_report_name(message)
    return alert_from_pb(message)


def _tensor(data: bytes) -> Tensor:
    message = tensor_pb2.Tensor()
    message.ParseFromString(data)
    return tensor_from_pb(message)


def _alert_id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


class MonitoringRepository(Protocol):
    """What the monitoring domain needs from storage."""

    # -- policies ---------------------------------------------------------------------------

    def get_policy(
        self, session: Session, policy_id: str, *, lock: bool = False
    ) -> Policy | None: ...

    def policy_exists(self, session: Session, policy_id: str) -> bool: ...

    def lock_policy(self, session: Session, policy_id: str) -> bool:
        """Lock the policy's row for this transaction; False when it does not exist."""

    def add_policy(
        self,
        session: Session,
        policy_id: str,
        policy: Policy,
        created_by: str,
        now: datetime,
    ) -> None: ...

    def save_policy(
        self, session: Session, policy_id: str, policy: Policy, now: datetime
    ) -> None: ...

    def delete_policy(self, session: Session, policy_id: str) -> None: ...

    def all_policies(self, session: Session) -> list[Policy]:
        """Every policy, for ListMonitoringPolicies to filter and order."""

    def enabled_policies(
        self, session: Session, model: str = "", *, limit: int | None = None
    ) -> list[Policy]:
        """The enabled policies by id; of ``model`` only, oldest first, when it is given."""

    # -- alerts -----------------------------------------------------------------------------

    def get_alert(self, session: Session, alert_id: str, *, lock: bool = False) -> Alert | None: ...

    def open_alert(self, session: Session, policy: str, version: str, kind: str) -> Alert | None:
        """The firing alert of (policy, version, kind), locked."""

    def firing_alerts_of_policy(self, session: Session, policy: str) -> list[Alert]:
        """The firing alerts of ``policy``, oldest first, locked."""

    def firing_alerts_of_version(self, session: Session, version: str) -> list[Alert]:
        """The firing alerts of ``version`` (under any policy), oldest first, locked."""

    def add_alert(self, session: Session, alert: Alert, *, now: datetime) -> None: ...

    def save_alert(
        self, session: Session, alert: Alert, *, now: datetime, retrained: bool = False
    ) -> None:
        """Store ``alert`` over its stored self; ``retrained``: a job was created for it now."""

    def last_retraining(self, session: Session, policy: str, model: str) -> datetime | None: ...

    def all_alerts(self, session: Session) -> list[Alert]:
        """Every alert, for ListAlerts to filter and order (an alert names its report, so the
        rows are small)."""

    def firing_alerts(self, session: Session, model: str = "") -> list[Alert]: ...

    def firing_counts(self, session: Session) -> dict[tuple[str, str], int]: ...

    # -- reports ----------------------------------------------------------------------------

    def add_report(
        self,
        session: Session,
        report_id: str,
        report: Report,
        now: datetime,
    ) -> None: ...

    def get_report(self, session: Session, report_id: str) -> Report | None: ...

    # -- prediction logs and ground truth ---------------------------------------------------

    def add_predictions(self, session: Session, records: Sequence[NewPrediction]) -> None: ...

    def lock_label_joins(self, session: Session) -> None:
        """Serialize, until this transaction ends, the transactions that join labels and
        prediction records (see SqlMonitoringRepository.lock_label_joins)."""
        ...

    def pending_labels(
        self, session: Session, request_ids: Sequence[str]
    ) -> list[PendingLabel]: ...

    def add_pending_labels(self, session: Session, labels: Sequence[NewPendingLabel]) -> None: ...

    def pending_counts(self, session: Session, models: Collection[str]) -> dict[str, int]:
        """How many labels wait per model (only the models asked about)."""

    def delete_pending_labels(self, session: Session, label_ids: Sequence[int]) -> None: ...

    def versions_of_requests(self, session: Session, request_ids: Sequence[str]) -> set[str]:
        """The model versions of the records of these requests."""

    def requests_with_pending_labels(
        self, session: Session, request_ids: Sequence[str]
    ) -> set[str]:
        """Those of these requests that have a label waiting for their prediction."""

    def predictions_of_requests(
        self, session: Session, request_ids: Collection[str], *, unlabeled: bool = False
    ) -> dict[str, list[tuple[int, int, str, str]]]:
        """(seq, row count, model, model version) of the records of each request (only the
        unlabeled ones when asked), in seq order."""

    def set_many_labels(
        self, session: Session, labels: Sequence[tuple[Sequence[int], Tensor, datetime | None]]
    ) -> None:
        """Give each (seqs, label, time)'s records its label, in order (a later one wins)."""

    def known_labels(self, session: Session, request_ids: Sequence[str]) -> list[KnownLabel]: ...

    def label_unlabeled(self, session: Session, known: KnownLabel) -> None:
        """Give ``known``'s label to the unlabeled records of its request, model and rows."""

    def versions_with_traffic(self, session: Session, model: str) -> dict[str, int]: ...

    def rows_after(self, session: Session, version: str, after_seq: int, upto_seq: int) -> int: ...

    def recent_aliases(self, session: Session, version: str, records: int) -> set[str]:
        """The aliases (not "") the newest ``records`` records of ``version`` came through."""

    def last_seq_before(self, session: Session, version: str, received_before: datetime) -> int:
        """The sequence of the newest record of ``version`` received before a time; 0: none."""

    def labeled_records(
        self, session: Session, version: str, first_seq: int, last_seq: int
    ) -> int: ...

    def newest_first(
        self,
        session: Session,
        version: str,
        *,
        upto_seq: int | None = None,
        from_seq: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Iterator[StoredRecord]: ...

    def purge_before(self, session: Session, cutoff: datetime, limit: int) -> tuple[int, int]: ...

    # -- evaluation cursors -----------------------------------------------------------------

    def get_cursor(
        self, session: Session, policy_id: str, version: str
    ) -> EvaluationCursor | None: ...

    def add_cursor(
        self, session: Session, policy_id: str, version: str, last_seq: int, now: datetime
    ) -> bool:
        """Create the cursor; False when another process created it first."""

    def advance_cursor(
        self,
        session: Session,
        policy_id: str,
        version: str,
        expected: tuple[int, int],
        last_seq: int,
        now: datetime,
    ) -> bool:
        """Compare-and-set: move the cursor to ``last_seq`` if it still holds ``expected``
        (last_seq, labeled_records)."""

    def settle_cursor(
        self, session: Session, policy_id: str, version: str, first_seq: int, labeled: int
    ) -> None: ...


# An arbitrary, fixed key of PostgreSQL's advisory locks for lock_label_joins.
LABEL_JOIN_LOCK = 0x5354_5741_594C_4142  # "STWAYLAB"


class SqlMonitoringRepository:
    """The SQLAlchemy implementation of :class:`MonitoringRepository`."""

    # -- policies ---------------------------------------------------------------------------

    @staticmethod
    def _policy_row(session: Session, policy_id: str, lock: bool = False) -> PolicyRow | None:
        query = select(PolicyRow).where(PolicyRow.id == policy_id)
        if lock:
            query = query.with_for_update()
        return session.scalars(query).one_or_none()

    def get_policy(self, session: Session, policy_id: str, *, lock: bool = False) -> Policy | None:
        row = self._policy_row(session, policy_id, lock)
        return None if row is None else _policy(row)

    def policy_exists(self, session: Session, policy_id: str) -> bool:
        return session.get(PolicyRow, policy_id) is not None

    def lock_policy(self, session: Session, policy_id: str) -> bool:
        found = session.scalar(
            select(PolicyRow.id).where(PolicyRow.id == policy_id).with_for_update()
        )
        return found is not None

    def add_policy(
        self,
        session: Session,
        policy_id: str,
        policy: Policy,
        created_by: str,
        now: datetime,
    ) -> None:
        session.add(
            PolicyRow(
                id=policy_id,
                model=policy.model,
                disabled=policy.disabled,
                policy=policy_to_pb(policy).SerializeToString(),
                created_by=created_by,
                create_time=now,
                update_time=now,
                etag=policy.etag,
            )
        )

    def save_policy(self, session: Session, policy_id: str, policy: Policy, now: datetime) -> None:
        row = self._policy_row(session, policy_id)
        if row is None:
            raise LookupError(policy_id)
        row.policy, row.disabled, row.update_time, row.etag = (
            policy_to_pb(policy).SerializeToString(),
            policy.disabled,
            now,
            policy.etag,
        )

    def delete_policy(self, session: Session, policy_id: str) -> None:
        row = self._policy_row(session, policy_id)
        if row is not None:
            session.delete(row)

    def all_policies(self, session: Session) -> list[Policy]:
        return [_policy(r) for r in session.scalars(select(PolicyRow))]

    def enabled_policies(
        self, session: Session, model: str = "", *, limit: int | None = None
    ) -> list[Policy]:
        query = select(PolicyRow).where(PolicyRow.disabled.is_(False))
        if model:
            query = query.where(PolicyRow.model == model).order_by(
                PolicyRow.create_time, PolicyRow.id
            )
        else:
            query = query.order_by(PolicyRow.id)
        if limit is not None:
            query = query.limit(limit)
        return [_policy(r) for r in session.scalars(query)]

    # -- alerts -----------------------------------------------------------------------------

    @staticmethod
    def _alert_row(session: Session, alert_id: str, lock: bool = False) -> AlertRow | None:
        query = select(AlertRow).where(AlertRow.id == alert_id)
        if lock:
            query = query.with_for_update()
        return session.scalars(query).one_or_none()

    def get_alert(self, session: Session, alert_id: str, *, lock: bool = False) -> Alert | None:
        row = self._alert_row(session, alert_id, lock)
        return None if row is None else _alert(row)

    def open_alert(self, session: Session, policy: str, version: str, kind: str) -> Alert | None:
        row = session.scalars(
            select(AlertRow)
            .where(
                AlertRow.policy == policy,
                AlertRow.model_version == version,
                AlertRow.kind == kind,
                AlertRow.state == "firing",
            )
            .with_for_update()
            .limit(1)
        ).one_or_none()
        return None if row is None else _alert(row)

    def firing_alerts_of_policy(self, session: Session, policy: str) -> list[Alert]:
        rows = session.scalars(
            select(AlertRow)
            .where(AlertRow.policy == policy, AlertRow.state == "firing")
            .order_by(AlertRow.fire_time)
            .with_for_update()
        ).all()
        return [_alert(r) for r in rows]

    def firing_alerts_of_version(self, session: Session, version: str) -> list[Alert]:
        rows = session.scalars(
            select(AlertRow)
            .where(AlertRow.model_version == version, AlertRow.state == "firing")
            .order_by(AlertRow.fire_time)
            .with_for_update()
        ).all()
        return [_alert(r) for r in rows]

    def add_alert(self, session: Session, alert: Alert, *, now: datetime) -> None:
        session.add(
            AlertRow(
                id=_alert_id(alert.name),
                model=alert.model,
                model_version=alert.model_version,
                policy=alert.policy,
                kind=alert.kind.value,
                state=alert.state.value,
                fire_time=now,
                update_time=now,
                retraining_time=None,
                alert=alert_to_pb(alert).SerializeToString(),
            )
        )

    def save_alert(
        self, session: Session, alert: Alert, *, now: datetime, retrained: bool = False
    ) -> None:
        # Already loaded (and locked) in this transaction: the identity map answers.
        row = session.get(AlertRow, _alert_id(alert.name))
        if row is None:
            raise LookupError(alert.name)
        row.alert = alert_to_pb(alert).SerializeToString()
        row.state, row.update_time = alert.state.value, now
        if retrained:
            row.retraining_time = now

    def last_retraining(self, session: Session, policy: str, model: str) -> datetime | None:
        last: datetime | None = session.scalar(
            select(func.max(AlertRow.retraining_time)).where(
                AlertRow.policy == policy, AlertRow.model == model
            )
        )
        return last

    def all_alerts(self, session: Session) -> list[Alert]:
        return [_alert(r) for r in session.scalars(select(AlertRow))]

    def firing_alerts(self, session: Session, model: str = "") -> list[Alert]:
        query = select(AlertRow).where(AlertRow.state == "firing")
        if model:
            query = query.where(AlertRow.model == model)
        return [_alert(r) for r in session.scalars(query.order_by(AlertRow.fire_time, AlertRow.id))]

    def firing_counts(self, session: Session) -> dict[tuple[str, str], int]:
        rows = session.execute(
            select(AlertRow.model, AlertRow.kind, func.count())
            .where(AlertRow.state == "firing")
            .group_by(AlertRow.model, AlertRow.kind)
        ).all()
        return {(model, kind): int(count) for model, kind, count in rows}

    # -- reports ----------------------------------------------------------------------------

    def add_report(
        self,
        session: Session,
        report_id: str,
        report: Report,
        now: datetime,
    ) -> None:
        session.add(
            ReportRow(
                id=report_id,
                model_version=report.model_version,
                policy=report.policy,
                create_time=now,
                report=report_to_pb(report).SerializeToString(),
            )
        )

    def get_report(self, session: Session, report_id: str) -> Report | None:
        row = session.get(ReportRow, report_id)
        if row is None:
            return None
        message = report_pb2.MonitoringReport()
        message.ParseFromString(row.report)
        return report_from_pb(message)

    # -- prediction logs and ground truth ---------------------------------------------------

    def add_predictions(self, session: Session, records: Sequence[NewPrediction]) -> None:
        if not records:
            return
        # One executemany through the driver, in order, each record stored as it arrived: at
        # ingest rates the statement layer's per-row work (a dict and two time conversions
        # per row) cost more than the insert itself. The times are bound as SQLAlchemy binds
        # them (UtcDateTime): text without a zone on SQLite, aware datetimes elsewhere.
        connection = session.connection()
        rows: Sequence[tuple[object, ...]]
        if connection.dialect.name == "sqlite":
            received = {t: _sqlite_time(t) for t in {r.received_time for r in records}}
            rows = [
                (
                    r.model,
                    r.model_version,
                    r.request_id,
                    r.role,
                    r.alias,
                    _sqlite_time(r.time),
                    received[r.received_time],
                    r.row_count,
                    r.encoded,
                )
                for r in records
            ]
            mark = "?"
        else:
            rows = records  # the named tuples' fields are the columns, in order
            mark = "%s"
        # Statements of INSERT_ROWS rows each (the same text every time, so prepared once): a
        # quarter to a third less than an executemany of one row per statement.
        for start in range(0, len(rows), INSERT_ROWS):
            chunk = rows[start : start + INSERT_ROWS]
            connection.exec_driver_sql(
                _insert_predictions(len(chunk), mark), tuple(chain.from_iterable(chunk))
            )

    def lock_label_joins(self, session: Session) -> None:
        """A label and a record of the same request may arrive in two transactions at once: each
        reads before the other commits (READ COMMITTED), so the label waits for a record that
        is already stored, or a shadow record misses its primary's label, for ever. One
        transaction-scoped advisory lock on PostgreSQL makes them take turns; SQLite already
        serializes writers, so there is nothing to do there."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(LABEL_JOIN_LOCK)))

    @staticmethod
    def _no_pending_labels(session: Session) -> bool:
        """Whether no label waits at all: then a batch's request ids need not be looked up
        (an IN list of 500 ids costs more to bind than a batch costs to store)."""
        return session.scalar(select(PendingLabelRow.id).limit(1)) is None

    def pending_labels(self, session: Session, request_ids: Sequence[str]) -> list[PendingLabel]:
        if not request_ids or self._no_pending_labels(session):
            return []
        rows = session.scalars(
            select(PendingLabelRow).where(PendingLabelRow.request_id.in_(request_ids))
        ).all()
        return [
            PendingLabel(r.id, r.request_id, r.model, _tensor(r.label), r.label_time) for r in rows
        ]

    def add_pending_labels(self, session: Session, labels: Sequence[NewPendingLabel]) -> None:
        if not labels:
            return
        session.execute(  # one executemany, no ORM object per label
            insert(PendingLabelRow),
            [
                {
                    "request_id": p.request_id,
                    "model": p.model,
                    "label": tensor_to_pb(p.label).SerializeToString(),
                    "label_time": p.label_time,
                    "received_time": p.received_time,
                }
                for p in labels
            ],
        )

    def pending_counts(self, session: Session, models: Collection[str]) -> dict[str, int]:
        if not models:
            return {}
        rows = session.execute(
            select(PendingLabelRow.model, func.count())
            .where(PendingLabelRow.model.in_(list(models)))
            .group_by(PendingLabelRow.model)
        ).all()
        return {model: count for model, count in rows}

    def delete_pending_labels(self, session: Session, label_ids: Sequence[int]) -> None:
        ids = list(label_ids)
        for start in range(0, len(ids), IN_CHUNK):
            session.execute(
                delete(PendingLabelRow).where(PendingLabelRow.id.in_(ids[start : start + IN_CHUNK]))
            )

    def versions_of_requests(self, session: Session, request_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        ids = sorted(set(request_ids))
        for start in range(0, len(ids), IN_CHUNK):  # bounded IN lists
            found.update(
                session.scalars(
                    select(PredictionRow.model_version)
                    .where(PredictionRow.request_id.in_(ids[start : start + IN_CHUNK]))
                    .distinct()
                )
            )
        return found

    def requests_with_pending_labels(
        self, session: Session, request_ids: Sequence[str]
    ) -> set[str]:
        found: set[str] = set()
        if not request_ids or self._no_pending_labels(session):
            return found
        ids = sorted(set(request_ids))
        for start in range(0, len(ids), IN_CHUNK):
            found.update(
                session.scalars(
                    select(PendingLabelRow.request_id)
                    .where(PendingLabelRow.request_id.in_(ids[start : start + IN_CHUNK]))
                    .distinct()
                )
            )
        return found

    def predictions_of_requests(
        self, session: Session, request_ids: Collection[str], *, unlabeled: bool = False
    ) -> dict[str, list[tuple[int, int, str, str]]]:
        found: dict[str, list[tuple[int, int, str, str]]] = {}
        ids = sorted(set(request_ids))
        for start in range(0, len(ids), IN_CHUNK):  # bounded IN lists
            query = select(
                PredictionRow.request_id,
                PredictionRow.seq,
                PredictionRow.row_count,
                PredictionRow.model,
                PredictionRow.model_version,
            ).where(PredictionRow.request_id.in_(ids[start : start + IN_CHUNK]))
            if unlabeled:
                query = query.where(PredictionRow.label.is_(None))
            for request_id, seq, count, model, version in session.execute(
                query.order_by(PredictionRow.seq)
            ):
                found.setdefault(request_id, []).append((seq, count, model, version))
        return found

    def set_many_labels(
        self, session: Session, labels: Sequence[tuple[Sequence[int], Tensor, datetime | None]]
    ) -> None:
        values: list[dict[str, object]] = []
        for seqs, label, label_time in labels:
            data = tensor_to_pb(label).SerializeToString()
            values.extend({"seq": s, "label": data, "label_time": label_time} for s in seqs)
        if values:
            # An UPDATE by primary key, executed many times in list order.
            session.execute(update(PredictionRow), values)

    def known_labels(self, session: Session, request_ids: Sequence[str]) -> list[KnownLabel]:
        rows = session.execute(
            select(
                PredictionRow.request_id,
                PredictionRow.model,
                PredictionRow.label,
                PredictionRow.label_time,
                PredictionRow.row_count,
            ).where(PredictionRow.request_id.in_(request_ids), PredictionRow.label.is_not(None))
        ).all()
        return [
            KnownLabel(r, m, _tensor(label), t, n)
            for r, m, label, t, n in rows
            if label is not None
        ]

    def label_unlabeled(self, session: Session, known: KnownLabel) -> None:
        session.execute(
            update(PredictionRow)
            .where(
                PredictionRow.request_id == known.request_id,
                PredictionRow.model == known.model,
                PredictionRow.label.is_(None),
                PredictionRow.row_count == known.row_count,
            )
            .values(
                label=tensor_to_pb(known.label).SerializeToString(), label_time=known.label_time
            )
        )

    def versions_with_traffic(self, session: Session, model: str) -> dict[str, int]:
        """The versions of ``model`` with logged predictions and the last sequence of each."""
        rows = session.execute(
            select(PredictionRow.model_version, func.max(PredictionRow.seq))
            .where(PredictionRow.model == model)
            .group_by(PredictionRow.model_version)
        ).all()
        return {version: int(last) for version, last in rows}

    def rows_after(self, session: Session, version: str, after_seq: int, upto_seq: int) -> int:
        """The prediction rows of ``version`` logged after ``after_seq``, up to ``upto_seq``."""
        total = session.scalar(
            select(func.coalesce(func.sum(PredictionRow.row_count), 0)).where(
                PredictionRow.model_version == version,
                PredictionRow.seq > after_seq,
                PredictionRow.seq <= upto_seq,
            )
        )
        return int(total or 0)

    def recent_aliases(self, session: Session, version: str, records: int) -> set[str]:
        # The newest records only, read through the (version, seq) index: a version's whole
        # history would be a scan, and what matters is how its traffic arrives now.
        newest = (
            select(PredictionRow.alias)
            .where(PredictionRow.model_version == version)
            .order_by(PredictionRow.seq.desc())
            .limit(records)
            .subquery()
        )
        found = session.scalars(select(newest.c.alias).distinct()).all()
        return {alias for alias in found if alias}

    def last_seq_before(self, session: Session, version: str, received_before: datetime) -> int:
        last = session.scalar(
            select(func.max(PredictionRow.seq)).where(
                PredictionRow.model_version == version,
                PredictionRow.received_time < received_before,
            )
        )
        return int(last or 0)

    def labeled_records(self, session: Session, version: str, first_seq: int, last_seq: int) -> int:
        """The records of ``version`` between two sequences (inclusive) that have labels."""
        total = session.scalar(
            select(func.count())
            .select_from(PredictionRow)
            .where(
                PredictionRow.model_version == version,
                PredictionRow.seq >= first_seq,
                PredictionRow.seq <= last_seq,
                PredictionRow.label.is_not(None),
            )
        )
        return int(total or 0)

    def newest_first(
        self,
        session: Session,
        version: str,
        *,
        upto_seq: int | None = None,
        from_seq: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Iterator[StoredRecord]:
        """The records of ``version`` (between ``from_seq`` and ``upto_seq``, within [start,
        end]) newest first; the caller stops reading when its window is full."""
        query = select(
            PredictionRow.seq,
            PredictionRow.time,
            PredictionRow.row_count,
            PredictionRow.record,
            PredictionRow.label,
        ).where(PredictionRow.model_version == version)
        if from_seq is not None:
            query = query.where(PredictionRow.seq >= from_seq)
        if upto_seq is not None:
            query = query.where(PredictionRow.seq <= upto_seq)
        if start is not None:
            query = query.where(PredictionRow.time >= start)
        if end is not None:
            query = query.where(PredictionRow.time <= end)
        result = session.execute(
            query.order_by(PredictionRow.seq.desc()).execution_options(yield_per=FETCH_ROWS)
        )
        for seq, time, row_count, record, label in result:
            message = prediction_record_pb2.PredictionRecord()
            problem = ""
            try:
                message.ParseFromString(record)
            except DecodeError:  # ingest keeps tensors as they arrived, unread
                message = prediction_record_pb2.PredictionRecord(
                    model_version=version, row_count=row_count
                )
                problem = "a tensor is not a valid Tensor message"
            yield StoredRecord(
                seq,
                time,
                row_count,
                record_from_pb(message),
                _tensor(label) if label is not None else None,
                problem,
            )

    def purge_before(self, session: Session, cutoff: datetime, limit: int) -> tuple[int, int]:
        """Delete up to ``limit`` prediction records and waiting labels received before
        ``cutoff``, oldest first; returns how many of each."""
        oldest = (
            select(PredictionRow.seq)
            .where(PredictionRow.received_time < cutoff)
            .order_by(PredictionRow.seq)
            .limit(limit)
        )
        seqs = list(session.scalars(oldest))
        if seqs:
            session.execute(delete(PredictionRow).where(PredictionRow.seq.in_(seqs)))
        waiting = list(
            session.scalars(
                select(PendingLabelRow.id)
                .where(PendingLabelRow.received_time < cutoff)
                .limit(limit)
            )
        )
        if waiting:
            session.execute(delete(PendingLabelRow).where(PendingLabelRow.id.in_(waiting)))
        return len(seqs), len(waiting)

    # -- evaluation cursors -----------------------------------------------------------------

    def get_cursor(self, session: Session, policy_id: str, version: str) -> EvaluationCursor | None:
        row = session.get(EvaluationRow, (policy_id, version))
        if row is None:
            return None
        return EvaluationCursor(row.first_seq, row.last_seq, row.labeled_records, row.evaluate_time)

    def add_cursor(
        self, session: Session, policy_id: str, version: str, last_seq: int, now: datetime
    ) -> bool:
        # A savepoint: when another process made the cursor first, only this insert is undone.
        try:
            with session.begin_nested():
                session.add(
                    EvaluationRow(
                        policy=policy_id,
                        model_version=version,
                        first_seq=0,
                        last_seq=last_seq,
                        labeled_records=0,
                        evaluate_time=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def advance_cursor(
        self,
        session: Session,
        policy_id: str,
        version: str,
        expected: tuple[int, int],
        last_seq: int,
        now: datetime,
    ) -> bool:
        expected_seq, labeled = expected
        claimed = session.execute(
            update(EvaluationRow)
            .where(
                EvaluationRow.policy == policy_id,
                EvaluationRow.model_version == version,
                EvaluationRow.last_seq == expected_seq,
                EvaluationRow.labeled_records == labeled,
            )
            .values(last_seq=last_seq, evaluate_time=now)
        )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]

    def settle_cursor(
        self, session: Session, policy_id: str, version: str, first_seq: int, labeled: int
    ) -> None:
        session.execute(
            update(EvaluationRow)
            .where(EvaluationRow.policy == policy_id, EvaluationRow.model_version == version)
            .values(first_seq=first_seq, labeled_records=labeled)
        )
