"""The typed event log: every event type stores its fields as the payload and reads them back."""

from __future__ import annotations

import dataclasses

import pytest

from inbox import events

SAMPLES: dict[str, object] = {
    "int": 7,
    "str": "text",
    "bool": True,
    "float": 1.5,
    "list[str]": ["a", "b"],
    "list[int]": [1, 2],
    "dict[str, Any]": {"key": "value"},
    "dict[str, int]": {"x": 2},
}


TIMES = frozenset({"until", "scheduled_at", "retry_at", "check_at", "first_at", "last_at"})
"""Fields that hold an ISO time."""


def _sample(event_type: type[events.InboxEvent]) -> events.InboxEvent:
    """An event of `event_type` with every field set to a value of its declared type."""
    values = {}
    for field in dataclasses.fields(event_type):  # type: ignore[arg-type]
        declared = field.type.replace(" | None", "")
        values[field.name] = (
            "2026-12-07T10:00:00+00:00" if field.name in TIMES else SAMPLES[declared]
        )
    return event_type(**values)


@pytest.mark.parametrize("event_type", list(events.EVENT_TYPES.values()), ids=str)
def test_every_event_type_reads_back_what_it_stored(event_type):
    event = _sample(event_type)

    stored = event.payload()

    assert events.parse(event_type.type, stored) == event
    assert events.describe("alex", event_type.type, stored).strip()


@pytest.mark.parametrize("event_type", list(events.EVENT_TYPES.values()), ids=str)
def test_a_row_written_before_a_field_existed_still_reads_as_a_sentence(event_type):
    assert events.describe("alex", event_type.type, {}).strip()


def test_a_time_that_is_not_one_reads_as_unknown():
    snoozed = events.parse("thread.status_changed", {"to": "snoozed", "until": "soon"})

    assert snoozed.describe("alex") == "status ? -> snoozed until an unknown time by alex"


def test_fields_named_like_keywords_keep_their_stored_keys():
    assigned = events.ThreadAssigned(before=None, after="blake")

    assert assigned.payload() == {"from": None, "to": "blake"}
    assert assigned.describe("alex") == "alex assigned this to blake"


def test_an_alert_keeps_what_its_rule_saw_beside_its_fields():
    alert = events.AlertRaised(
        alert_id=1,
        rule_id=2,
        rule="Outage words",
        rule_type="keyword",
        summary="12 posts say outage",
        details={"count": 12},
    )

    assert alert.payload()["count"] == 12
    assert events.parse("alert.raised", alert.payload()) == alert


def test_a_type_from_a_newer_version_is_shown_by_its_name():
    record = events.parse("thread.merged", {"into": 4})

    assert record.describe("alex") == "thread merged (alex)"
    assert record.payload() == {"into": 4}


def test_every_event_class_is_registered_by_its_type():
    declared = [
        kind
        for kind in vars(events).values()
        if isinstance(kind, type)
        and issubclass(kind, events.InboxEvent)
        and kind not in (events.InboxEvent, events.UnknownEvent)
    ]

    assert sorted(kind.type for kind in declared) == sorted(events.EVENT_TYPES)
