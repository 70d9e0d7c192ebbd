"""Lists stay under what Go and Java clients accept (4 MiB by default): ListModelVersions returns
the BASIC view unless asked for FULL (AIP-157), and a page ends early, with a token, when the
next version would take the response past the byte budget.

The budget is lowered for the test (read at each call), so that a few versions of about 100 KiB
cross it instead of megabytes of them."""

from __future__ import annotations

import pytest

from slipway.common.v1 import feature_pb2
from slipway.core import pagination
from slipway.registry.v1 import model_version_pb2, reference_profile_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from support.registry import Registry, model_bytes, version_spec

MODEL = "models/wide"
VERSIONS = 5
# A training profile with many categories: about 60 KiB a version in the FULL view, so that
# the five versions do not fit in one response under BUDGET.
CATEGORIES = 1_500
BUDGET = 150 * 1024
GO_JAVA_DEFAULT_LIMIT = 4 * 1024 * 1024


def test_the_budget_is_under_what_go_and_java_clients_accept() -> None:
    assert pagination.MAX_PAGE_BYTES <= GO_JAVA_DEFAULT_LIMIT - 512 * 1024
    # The first item is kept however large (progress); the page ends before the item that
    # would cross the budget.
    token = pagination.MAX_TOKEN_LENGTH + 8  # room kept for the next page token
    assert pagination.fit_to_budget([10, 10, 10], budget=5) == 1
    assert pagination.fit_to_budget([10, 10, 10], budget=token + 32) == 2
    assert pagination.fit_to_budget([10, 10, 10], budget=token + 48) == 3
    assert pagination.fit_to_budget([], budget=token) == 0


def wide_profile() -> reference_profile_pb2.ReferenceProfile:
    target = feature_pb2.FeatureStatistics(name="target", kind=feature_pb2.FEATURE_KIND_CATEGORICAL)
    target.categories.extend(
        feature_pb2.CategoryCount(value=f"category-{i:06d}-of-a-wide-feature", count=i)
        for i in range(CATEGORIES)
    )
    return reference_profile_pb2.ReferenceProfile(row_count=CATEGORIES, target=target)


async def test_list_pages_stay_under_the_byte_budget_and_reach_every_version(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "MAX_PAGE_BYTES", BUDGET)
    data = model_bytes()
    spec = version_spec(data)
    spec.reference_profile.CopyFrom(wide_profile())
    assert 2 * spec.ByteSize() < BUDGET < spec.ByteSize() * VERSIONS
    for _ in range(VERSIONS):
        await registry.upload(MODEL, data, spec=spec, create_model=True)

    async def pages(view: model_version_pb2.ModelVersionView.ValueType) -> list[list[int]]:
        found: list[list[int]] = []
        token = ""
        for _ in range(VERSIONS + 1):
            reply = await registry.stub.ListModelVersions(
                pb.ListModelVersionsRequest(
                    parent=MODEL, page_size=1000, page_token=token, view=view
                ),
                metadata=registry.as_("viewer"),
                timeout=30,
            )
            assert reply.ByteSize() <= BUDGET
            found.append([v.version_number for v in reply.model_versions])
            full = [v.reference_profile.target.categories for v in reply.model_versions]
            if view == model_version_pb2.MODEL_VERSION_VIEW_FULL:
                assert all(len(c) == CATEGORIES for c in full)
            else:
                assert not any(full)
            token = reply.next_page_token
            if not token:
                return found
        raise AssertionError("the pages never ended")

    everything = list(range(1, VERSIONS + 1))
    full_pages = await pages(model_version_pb2.MODEL_VERSION_VIEW_FULL)
    assert len(full_pages) > 1, full_pages  # cut by bytes, not by the page size of 1000
    assert all(full_pages), full_pages
    assert [n for page in full_pages for n in page] == everything
    # BASIC, the default: no profile, no signature, so everything fits in one page.
    assert await pages(model_version_pb2.MODEL_VERSION_VIEW_UNSPECIFIED) == [everything]
    assert await pages(model_version_pb2.MODEL_VERSION_VIEW_BASIC) == [everything]

    # Get returns the FULL view by default, and BASIC when asked.
    name = f"{MODEL}/versions/1"
    got = await registry.stub.GetModelVersion(
        pb.GetModelVersionRequest(name=name), metadata=registry.as_("viewer")
    )
    assert len(got.model_version.reference_profile.target.categories) == CATEGORIES
    basic = await registry.stub.GetModelVersion(
        pb.GetModelVersionRequest(name=name, view=model_version_pb2.MODEL_VERSION_VIEW_BASIC),
        metadata=registry.as_("viewer"),
    )
    assert not basic.model_version.HasField("reference_profile")
    assert basic.model_version.artifact == got.model_version.artifact
    # The cached FULL answer was not changed by the BASIC one.
    again = await registry.stub.GetModelVersion(
        pb.GetModelVersionRequest(name=name), metadata=registry.as_("viewer")
    )
    assert again == got


async def test_a_page_token_is_bound_to_its_list(registry: Registry) -> None:
    await registry.upload(MODEL, create_model=True)
    await registry.upload(MODEL)
    first = await registry.stub.ListModelVersions(
        pb.ListModelVersionsRequest(parent=MODEL, page_size=1), metadata=registry.as_("viewer")
    )
    assert first.next_page_token
    rest = await registry.stub.ListModelVersions(
        pb.ListModelVersionsRequest(
            parent=MODEL,
            page_size=1,
            page_token=first.next_page_token,
            view=model_version_pb2.MODEL_VERSION_VIEW_FULL,
        ),
        metadata=registry.as_("viewer"),
    )
    # The view changes what each item holds, not which items: the token carries over.
    assert [v.version_number for v in rest.model_versions] == [2]
