"""The starter library shipped with the inbox: complete, valid, and sendable on every channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from canned_responses.library import CannedResponse, export_library, load_library, load_starter
from canned_responses.render import RenderContext, render_for

CRISIS_PLAYBOOK = {
    "acknowledge",
    "holding-statement",
    "investigating",
    "progress-update",
    "fix-shipped",
    "service-restored",
    "apology",
    "compensation",
    "move-to-dm",
    "move-to-email",
    "correct-misinformation",
    "escalate",
    "post-mortem",
}
EVERYDAY_CARE = {
    "order-status",
    "refund",
    "password-reset",
    "thanks-praise",
    "feature-request",
    "ask-details",
    "shipping-delay",
    "account-locked",
    "billing-question",
}
PUBLIC_CRISIS_STATEMENTS = {
    "holding-statement",
    "progress-update",
    "fix-shipped",
    "service-restored",
    "apology",
    "compensation",
    "correct-misinformation",
    "post-mortem",
}

CHANNELS = [
    ("x", "x_weighted", 280),
    ("bluesky", "graphemes", 300),
    ("mastodon", "characters", 500),
    ("reddit", "characters", 10_000),
    ("facebook", "characters", 8_000),
    ("instagram", "characters", 1_000),
    ("youtube", "characters", 10_000),
    ("email", "none", None),
]

LONG_CONTEXT = RenderContext(
    author_name="Alexandra Montgomery-Whitfield",
    author_handle="@alexandra.montgomery@mastodon.social",
    agent_name="Samira Okonkwo-Bennett",
    incident_title="Login and checkout errors for some customers",
    incident_status_url="https://status.example.com/incidents/01HZX4QK7B",
)


def starter() -> list[CannedResponse]:
    responses, problems = load_starter()
    assert problems == []
    return responses


def test_the_starter_library_loads_without_problems() -> None:
    responses, problems = load_starter()

    assert problems == []
    assert len(responses) >= 30


def test_the_starter_library_covers_the_crisis_playbook_and_everyday_care() -> None:
    shortcodes = {response.shortcode for response in starter()}

    assert CRISIS_PLAYBOOK <= shortcodes
    assert EVERYDAY_CARE <= shortcodes


def test_public_crisis_statements_wait_for_approval() -> None:
    approval_by_code = {response.shortcode: response.needs_approval for response in starter()}

    assert all(approval_by_code[code] for code in PUBLIC_CRISIS_STATEMENTS)
    assert not approval_by_code["refund"]


@pytest.mark.parametrize(("platform", "rule", "limit"), CHANNELS)
def test_every_starter_answer_fits_every_channel_with_long_names(
    platform: str, rule: str, limit: int | None
) -> None:
    too_long = []
    for response in starter():
        rendered = render_for(response, platform, rule, limit, LONG_CONTEXT)
        assert rendered.unfilled == (), response.shortcode
        if not rendered.fit.fits:
            too_long.append(f"{response.shortcode}: {rendered.fit.explain(platform)}")

    assert too_long == []


def test_answers_too_long_for_x_or_bluesky_carry_a_short_variant() -> None:
    with_variants = {
        response.shortcode: set(response.variants) for response in starter() if response.variants
    }

    assert {"x", "bluesky"} <= with_variants["holding-statement"]
    assert {"x", "bluesky"} <= with_variants["password-reset"]


def test_everyday_answers_read_well_without_any_context() -> None:
    for response in starter():
        if response.shortcode in EVERYDAY_CARE:
            rendered = render_for(response, "mastodon", "characters", 500)
            assert rendered.unfilled == (), response.shortcode
            assert "{" not in rendered.text


def test_the_starter_library_survives_export_and_reimport(tmp_path: Path) -> None:
    original = starter()

    export_library(original, tmp_path)
    reloaded, problems = load_library(tmp_path)

    assert problems == []
    assert sorted(reloaded, key=lambda each: each.shortcode) == sorted(
        original, key=lambda each: each.shortcode
    )
