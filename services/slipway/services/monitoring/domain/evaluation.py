"""Evaluation: reports over windows of logged traffic, alerts from them, and retraining.

``Evaluator.evaluate_once`` looks at every enabled policy and every version of its model with
traffic. A count window (``row_count`` N) is evaluated each time N more rows arrived since the
last evaluation (tumbling windows: the report covers the newest N rows); a time window
(``duration`` D) every D, over the rows of the last D, once there is new traffic. Ground truth
arrives later than its predictions: when more records of the last evaluated window got their
labels, that same window is evaluated again, so performance is judged once labels arrive. The
last window of each policy and version is stored (``monitoring_evaluations``) and claimed with a
compare-and-set, so a restart neither skips nor repeats a window and two monitoring processes
do not evaluate the same one.

A report whose problems change alerts is stored with them; a policy with the RETRAIN action
then asks the training service for a retraining job (trigger PERFORMANCE for performance and
concept drift, DRIFT for data, prediction and target drift), at most one per evaluation, and
records the decision on the alert.

A version's traffic arrives through aliases (``production``, ``canary``): when a version with
firing alerts no longer holds any alias its newest traffic came through, its traffic goes to
another version and no later window of it would resolve them, so they resolve with that reason.

A policy judges the traffic logged after it was created: its first window of a version starts
at its creation (the records received before it belong to no window of it), so a new policy
does not fire on old traffic. An updated policy keeps its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slipway.core.audit import record
from slipway.core.db import Database
from slipway.core.errors import InvalidArgumentError, SlipwayError
from slipway.core.logs import get_logger
from slipway.core.names import ALIAS
from slipway.core.reasons import Reason
from slipway.services.monitoring.domain.alerts import Alerts, Change
from slipway.services.monitoring.domain.entities import (
    Policy,
    PolicyAction,
    Report,
    RetrainingRequest,
    RetrainingTrigger,
)
from slipway.services.monitoring.domain.peers import ReferenceSource, Retrainer
from slipway.services.monitoring.domain.policies import Policies
from slipway.services.monitoring.domain.reference import Reference
from slipway.services.monitoring.domain.reports import (
    DEFAULT_WINDOW_ROWS,
    build_report,
    judged_kinds,
    problems,
)
from slipway.services.monitoring.domain.window import WindowBuilder, WindowData
from slipway.services.monitoring.metrics import MonitoringMetrics
from slipway.services.monitoring.storage.repository import MonitoringRepository

log = get_logger("slipway.monitoring.evaluation")

DRIFT_KINDS = ("data_drift", "prediction_drift", "target_drift", "multivariate_drift")
PURGE_EVERY_SECONDS = 600.0
PURGE_BATCH = 5000
PERFORMANCE_KINDS = ("performance", "concept_drift", "estimated_performance")
DEFAULT_COOLDOWN = timedelta(hours=1)
# How many of a version's newest records say which aliases it is watched under.
ALIAS_RECORDS = 1000


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WindowBounds:
    rows: int | None = None
    upto_seq: int | None = None
    from_seq: int | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Due:
    """A window to evaluate and the cursor state it is claimed against."""

    bounds: WindowBounds
    last_seq: int
    expected: tuple[int, int] | None  # (last_seq, labeled_records) now stored; None: no cursor


def bounds_of(
    policy: Policy, now: datetime, upto_seq: int | None = None, from_seq: int | None = None
) -> WindowBounds:
    duration = policy.window_duration
    if duration is not None:
        return WindowBounds(
            start=now - duration.as_timedelta(), end=now, upto_seq=upto_seq, from_seq=from_seq
        )
    rows = policy.window_rows or DEFAULT_WINDOW_ROWS
    return WindowBounds(rows=rows, upto_seq=upto_seq, from_seq=from_seq)


def read_window(
    db: Database,
    repository: MonitoringRepository,
    reference: Reference,
    bounds: WindowBounds,
    *,
    sample_rows: int,
) -> WindowData:
    """The window of ``reference.version`` within ``bounds``, read newest first."""
    builder = WindowBuilder(reference, sample_rows=sample_rows)
    with db.unit_of_work(read_only=True) as session:
        for stored in repository.newest_first(
            session,
            reference.version,
            upto_seq=bounds.upto_seq,
            from_seq=bounds.from_seq,
            start=bounds.start,
            end=bounds.end,
        ):
            builder.add(stored.seq, stored.time, stored.record, stored.label, stored.problem)
            if bounds.rows is not None and builder.rows >= bounds.rows:
                break
    return builder.result()


@dataclass(frozen=True)
class Evaluated:
    policy: str
    version: str
    report: Report
    changes: list[Change]


class Evaluator:
    def __init__(
        self,
        db: Database,
        repository: MonitoringRepository,
        policies: Policies,
        alerts: Alerts,
        references: ReferenceSource,
        retrainer: Retrainer | None,
        *,
        sample_rows: int,
        retention: timedelta = timedelta(days=30),
        metrics: MonitoringMetrics | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._repo = repository
        self._policies = policies
        self._alerts = alerts
        self._references = references
        self._retrainer = retrainer
        self._sample_rows = sample_rows
        self._metrics = metrics
        self._retention = retention
        self._next_purge = 0.0
        self.on_change = on_change

    # --- ad-hoc reports ---------------------------------------------------------------------

    async def report(
        self,
        version: str,
        policy: Policy,
        start: datetime | None,
        end: datetime | None,
    ) -> Report:
        """A report computed now (not stored): the policy's window, or [start, end]."""
        reference = await self._references.reference(version)
        now = _now()
        if start is not None or end is not None:
            bounds = WindowBounds(start=start, end=end or now)
        else:
            bounds = bounds_of(policy, now)
        window = await asyncio.to_thread(
            read_window, self._db, self._repo, reference, bounds, sample_rows=self._sample_rows
        )
        return await asyncio.to_thread(build_report, reference, window, policy, now)

    async def report_for(
        self,
        version: str,
        model: str,
        *,
        policy_id: str,
        start: datetime | None,
        end: datetime | None,
    ) -> Report:
        """A report computed now for ``version`` (a version name or ``models/m@alias`` of
        ``model``), under the policy ``policy_id``; without one, under the model's first
        enabled policy, else the defaults."""
        if policy_id:
            policy = await asyncio.to_thread(self._policies.get, policy_id)
            if policy.model != model:
                raise InvalidArgumentError.for_field(
                    "policy",
                    f"{policy.name} monitors {policy.model}, not {model}",
                    reason=Reason.POLICY_MODEL_MISMATCH,
                )
        else:
            found = await asyncio.to_thread(self._policies.first_enabled_for, model)
            policy = found if found is not None else Policy(model=model)
        name = await self._references.version_name(version)
        return await self.report(name, policy, start, end)

    # --- the loop ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self.evaluate_once()
                if self._metrics is not None:  # also right after a restart, before any change
                    self._metrics.set_firing(await asyncio.to_thread(self._alerts.firing_counts))
                if started >= self._next_purge:
                    await asyncio.to_thread(self.purge)
                    self._next_purge = started + PURGE_EVERY_SECONDS
            except Exception:
                log.exception("evaluation failed; trying again at the next interval")
            delay = max(0.0, interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def evaluate_once(self) -> list[Evaluated]:
        try:
            departed = await self._resolve_departed()
        except Exception:
            # The windows do not depend on it: a failure here must not stop them.
            log.exception("the alerts of versions that left their aliases could not be resolved")
            departed = set()
        done: list[Evaluated] = []
        for policy in await asyncio.to_thread(self._policies.enabled):
            with_traffic = await asyncio.to_thread(self._versions, policy.model)
            for version, last_seq in sorted(with_traffic.items()):
                if version in departed:  # its last records must not fire again what resolved
                    continue
                try:
                    evaluated = await self._evaluate(policy, version, last_seq)
                except Exception as error:
                    log.warning(
                        "a window could not be evaluated",
                        policy=policy.name,
                        version=version,
                        error=str(error),
                    )
                    continue
                if evaluated is not None:
                    done.append(evaluated)
        return done

    def _recent_aliases(self, version: str) -> set[str]:
        with self._db.unit_of_work(read_only=True) as session:
            return self._repo.recent_aliases(session, version, ALIAS_RECORDS)

    async def _resolve_departed(self) -> set[str]:
        """Resolves the firing alerts of each version that left every alias its newest traffic
        came through; returns those versions. A version watched by its own name (traffic
        without an alias) never leaves, and one whose aliases the registry cannot resolve now
        is looked at again in the next evaluation."""
        firing = await asyncio.to_thread(self._alerts.firing_versions)
        targets: dict[tuple[str, str], str | None] = {}  # one registry call per alias and pass
        departed: set[str] = set()
        changes: list[Change] = []
        for version, model in sorted(firing.items()):
            # A sender may log any text as the alias; one that is no alias name cannot be
            # looked up, and says nothing about where the traffic goes.
            aliases = {
                alias
                for alias in await asyncio.to_thread(self._recent_aliases, version)
                if ALIAS.fullmatch(alias)
            }
            try:
                for alias in sorted(aliases):
                    if (model, alias) not in targets:
                        targets[model, alias] = await self._references.alias_target(model, alias)
            except SlipwayError as error:
                log.warning(
                    "the aliases of a version could not be resolved",
                    version=version,
                    error=str(error),
                )
                continue
            now_at = {alias: targets[model, alias] for alias in aliases}
            if not now_at or version in now_at.values():
                continue
            departed.add(version)
            resolved = await asyncio.to_thread(
                self._alerts.resolve_departed, version, now_at, uuid.uuid4().hex
            )
            for change in resolved:
                log.info(
                    "alert resolved",
                    alert=change.alert.name,
                    reason=change.alert.resolve_reason,
                    version=version,
                    policy=change.alert.policy,
                )
            changes.extend(resolved)
        await self._announce(changes)
        return departed

    async def _announce(self, changes: list[Change]) -> None:
        """Metrics and watchers learn of ``changes``."""
        if not changes:
            return
        if self._metrics is not None:
            for change in changes:
                self._metrics.observe_alert(change.alert, change.transition)
            counts = await asyncio.to_thread(self._alerts.firing_counts)
            self._metrics.set_firing(counts)
        if self.on_change is not None:
            self.on_change()

    def purge(self) -> tuple[int, int]:
        """Delete prediction logs and waiting labels past the retention, in batches, each
        batch audited with what it deleted."""
        cutoff = _now() - self._retention
        total = (0, 0)
        while True:
            with self._db.unit_of_work() as session:
                records, labels = self._repo.purge_before(session, cutoff, PURGE_BATCH)
                if not records and not labels:
                    return total
                record(
                    session,
                    service="monitoring",
                    action="monitoring.PurgePredictionLogs",
                    resource="predictionLogs",
                    principal=self._alerts.actor,
                    reason=f"older than the {self._retention} retention",
                    payload={"records": records, "labels": labels, "cutoff": cutoff.isoformat()},
                )
            total = (total[0] + records, total[1] + labels)
            log.info(
                "prediction logs purged", records=records, labels=labels, cutoff=cutoff.isoformat()
            )

    def _versions(self, model: str) -> dict[str, int]:
        with self._db.unit_of_work(read_only=True) as session:
            return self._repo.versions_with_traffic(session, model)

    def _due(self, policy: Policy, version: str, last_seq: int, now: datetime) -> Due | None:
        """The window due for ``version``, if any: a new one, or the last one again when more
        of its records got their labels."""
        with self._db.unit_of_work(read_only=True) as session:
            cursor = self._repo.get_cursor(session, policy.name.rsplit("/", 1)[-1], version)
            if cursor is not None:
                after, start_seq = cursor.last_seq, None
            else:
                # The policy's first window: it starts with the first record received after
                # the policy was created, not with the oldest one stored.
                after = (
                    self._repo.last_seq_before(session, version, policy.create_time)
                    if policy.create_time is not None
                    else 0
                )
                start_seq = after + 1
            if after >= last_seq:
                due = False
            elif (duration := policy.window_duration) is not None:
                due = cursor is None or (now - cursor.evaluate_time >= duration.as_timedelta())
            else:
                rows = policy.window_rows or DEFAULT_WINDOW_ROWS
                due = self._repo.rows_after(session, version, after, last_seq) >= rows
            if due:
                expected = None if cursor is None else (cursor.last_seq, cursor.labeled_records)
                return Due(
                    bounds_of(policy, now, upto_seq=last_seq, from_seq=start_seq),
                    last_seq,
                    expected,
                )
            if cursor is None:
                return None
            labeled = self._repo.labeled_records(
                session, version, cursor.first_seq, cursor.last_seq
            )
            if labeled <= cursor.labeled_records:
                return None
            return Due(
                WindowBounds(from_seq=cursor.first_seq, upto_seq=cursor.last_seq),
                cursor.last_seq,
                (cursor.last_seq, cursor.labeled_records),
            )

    def _claim(self, policy_id: str, version: str, due: Due, now: datetime) -> bool:
        """Claim the window: a compare-and-set on the cursor, so that a restart neither skips
        nor repeats it and two processes do not both evaluate it."""
        with self._db.unit_of_work() as session:
            if due.expected is None:
                return self._repo.add_cursor(session, policy_id, version, due.last_seq, now)
            return self._repo.advance_cursor(
                session, policy_id, version, due.expected, due.last_seq, now
            )

    def _settle(self, policy_id: str, version: str, window: WindowData) -> None:
        """Record which records the claimed window held and how many had labels."""
        with self._db.unit_of_work() as session:
            self._repo.settle_cursor(
                session, policy_id, version, window.first_seq or 0, window.labeled_records
            )

    async def _evaluate(self, policy: Policy, version: str, last_seq: int) -> Evaluated | None:
        now = _now()
        due = await asyncio.to_thread(self._due, policy, version, last_seq, now)
        if due is None:
            return None
        reference = await self._references.reference(version)
        policy_id = policy.name.rsplit("/", 1)[-1]
        if not await asyncio.to_thread(self._claim, policy_id, version, due, now):
            return None
        started = time.perf_counter()
        window = await asyncio.to_thread(
            read_window, self._db, self._repo, reference, due.bounds, sample_rows=self._sample_rows
        )
        await asyncio.to_thread(self._settle, policy_id, version, window)
        report = await asyncio.to_thread(build_report, reference, window, policy, now)
        if self._metrics is not None:
            self._metrics.evaluation_seconds.observe(time.perf_counter() - started)
            self._metrics.observe_report(report)
        verdicts = problems(report)
        request_id = uuid.uuid4().hex
        changes = await asyncio.to_thread(
            self._alerts.apply, policy, report, verdicts, judged_kinds(report, policy), request_id
        )
        for change in changes:
            log.info(
                "alert " + change.transition,
                alert=change.alert.name,
                summary=change.alert.summary,
                version=version,
                policy=policy.name,
            )
        if policy.action is PolicyAction.RETRAIN and self._retrainer is not None:
            retrained = await self._retrain(policy, reference, changes, request_id, now)
            if retrained is not None:
                changes.append(retrained)
        await self._announce(changes)
        return Evaluated(policy.name, version, report, changes)

    async def _retrain(
        self,
        policy: Policy,
        reference: Reference,
        changes: list[Change],
        request_id: str,
        now: datetime,
    ) -> Change | None:
        firing = {c.alert.kind.value: c for c in changes if c.transition in ("fired", "updated")}
        chosen: tuple[Change, RetrainingTrigger] | None = None
        for kind in PERFORMANCE_KINDS:
            change = firing.get(kind)
            if change is not None:
                chosen = (change, RetrainingTrigger.PERFORMANCE)
                break
        if chosen is None:
            for kind in DRIFT_KINDS:
                change = firing.get(kind)
                if change is not None:
                    chosen = (change, RetrainingTrigger.DRIFT)
                    break
        if chosen is None or self._retrainer is None:
            return None
        change, trigger = chosen
        last = await asyncio.to_thread(self._alerts.last_retraining, policy.name, policy.model)
        retraining = policy.retraining_settings
        decision = await self._retrainer.decide(
            RetrainingRequest(
                model=policy.model,
                model_version=change.alert.model_version,
                policy=policy.name,
                alert=change.alert.name,
                summary=change.alert.summary,
                report=change.alert.report,
                trigger=trigger,
                source_job=retraining.source_training_job or reference.training_job,
                dataset_path=retraining.dataset_path,
                alias_on_success=retraining.alias_on_success,
                cooldown=(
                    retraining.cooldown.as_timedelta()
                    if retraining.cooldown is not None
                    else DEFAULT_COOLDOWN
                ),
                last_trigger=last,
                now=now,
            )
        )
        if self._metrics is not None:
            self._metrics.observe_decision(policy.model, decision.decision)
        log.info(
            "retraining decision",
            alert=change.alert.name,
            decision=f"RETRAINING_DECISION_{decision.decision.name}",
            training_job=decision.job,
            detail=decision.detail,
        )
        return await asyncio.to_thread(
            self._alerts.record_retraining,
            change.alert.name,
            decision.decision,
            job=decision.job,
            detail=decision.detail,
            request_id=request_id,
        )


__all__ = ["Evaluated", "Evaluator", "WindowBounds", "bounds_of", "read_window"]
