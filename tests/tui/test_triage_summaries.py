"""The sentence a triage key leaves on screen, whatever the tag or name holds."""

from __future__ import annotations

from inbox import BulkResult
from tui.triage_actions import assigning, summary, tagging


def test_a_tag_with_braces_is_said_as_typed():
    said = summary(tagging(["{threads}", "a{0}b"], []), BulkResult(changed=(7,)))

    assert said == "Tags on the thread: +{threads} +a{0}b."


def test_a_handle_with_braces_is_said_as_typed():
    said = summary(assigning("{x}", asked=2), BulkResult(changed=(1, 2)))

    assert said == "Assigned 2 threads to {x}."
