"""common.addresses: a list page's links, resolved once, are reverse()'s own."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from common import addresses


@given(st.uuids())
def test_a_case_page_address_is_reverses_for_any_uuid(case_uuid):
    address_of = addresses.by_uuid("integration:case_detail")
    assert address_of(case_uuid) == reverse("integration:case_detail", args=[case_uuid])


@given(st.uuids(), st.sampled_from(["ladder", "course", "employment"]), st.uuids())
def test_a_fact_edit_address_is_reverses_with_the_case_and_kind_before_the_uuid(
    case_uuid, kind, fact_uuid
):
    address_of = addresses.by_uuid("integration:fact_edit", case_uuid, kind)
    assert address_of(fact_uuid) == reverse(
        "integration:fact_edit", args=[case_uuid, kind, fact_uuid]
    )


def test_an_address_with_more_after_the_uuid_keeps_it():
    case_uuid = uuid.uuid4()
    address_of = addresses.by_uuid("integration:case_history")
    assert address_of(case_uuid) == reverse("integration:case_history", args=[case_uuid])
    assert address_of(case_uuid).endswith(f"{case_uuid}/history/")


def test_anything_but_a_uuid_is_refused_rather_than_put_into_an_address():
    address_of = addresses.by_uuid("integration:case_detail")
    with pytest.raises(TypeError):
        address_of("../admin/")
    with pytest.raises(TypeError):
        address_of(str(uuid.uuid4()))
