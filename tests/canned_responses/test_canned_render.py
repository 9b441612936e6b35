"""Filling variables, choosing a channel's variant, and measuring length as each channel does."""

from __future__ import annotations

import pytest

from canned_responses.library import KNOWN_VARIABLES, CannedResponse
from canned_responses.render import Fit, RenderContext, fill, fit, measure, render_for

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"
FLAG_JP = "\U0001f1ef\U0001f1f5"
LONG_URL = "https://status.example.com/incidents/2024-05-01/login-and-checkout-errors"

REPLY = CannedResponse(
    shortcode="refund",
    title="Refund request",
    body="Hi {author.name|there}, this is {agent.name} on {platform}. We'll sort out your refund.",
    variants={"x": "Sorry, {author.name|friend}! DM us your order number."},
)


def test_every_known_variable_can_be_filled_from_a_context() -> None:
    assert set(RenderContext().values()) == KNOWN_VARIABLES


def test_values_replace_variables() -> None:
    context = RenderContext(author_name="Dana", agent_name="Sam", platform="Mastodon")

    filled = fill(REPLY.body, context)

    assert filled.text == "Hi Dana, this is Sam on Mastodon. We'll sort out your refund."
    assert filled.unfilled == ()


def test_a_missing_or_blank_value_falls_back_to_the_text_after_the_bar() -> None:
    assert fill("Hi {author.name|there}!", RenderContext()).text == "Hi there!"
    assert fill("Hi {author.name|there}!", RenderContext(author_name="  ")).text == "Hi there!"
    assert fill("Hi{author.name|}!", RenderContext()).text == "Hi!"


def test_a_variable_without_value_or_fallback_is_reported_and_left_visible() -> None:
    filled = fill(
        "Status: {incident.status_url} ({incident.status_url}) by {agent.name}",
        RenderContext(agent_name="Sam"),
    )

    assert filled.unfilled == ("incident.status_url",)
    assert filled.text == "Status: {incident.status_url} ({incident.status_url}) by Sam"


def test_values_are_put_on_one_line_and_never_expanded_again() -> None:
    filled = fill("Hi {author.name|there}", RenderContext(author_name="Eve\n {agent.name}\t"))

    assert filled.text == "Hi Eve {agent.name}"
    assert filled.unfilled == ()


def test_a_channel_with_a_variant_gets_the_variant() -> None:
    rendered = render_for(REPLY, "x", "x_weighted", 280, RenderContext(author_name="Dana"))

    assert rendered.variant == "x"
    assert rendered.text == "Sorry, Dana! DM us your order number."
    assert rendered.sendable


def test_a_channel_without_a_variant_gets_the_body_with_its_platform_name() -> None:
    rendered = render_for(REPLY, "mastodon", "characters", 500, RenderContext(agent_name="Sam"))

    assert rendered.variant is None
    assert rendered.text == "Hi there, this is Sam on Mastodon. We'll sort out your refund."
    assert rendered.fit == Fit(rule="characters", length=len(rendered.text), limit=500)


def test_an_unfilled_variable_makes_the_rendering_unsendable() -> None:
    rendered = render_for(REPLY, "bluesky", "graphemes", 300)

    assert rendered.unfilled == ("agent.name",)
    assert rendered.fit.fits
    assert not rendered.sendable


def test_a_text_over_the_limit_says_by_how_much_and_is_not_shortened() -> None:
    long_reply = CannedResponse(shortcode="long", title="Long", body="a" * 290)

    rendered = render_for(long_reply, "x", "x_weighted", 280)

    assert rendered.text == "a" * 290
    assert not rendered.fit.fits
    assert rendered.fit.over_by == 10
    assert rendered.fit.explain("X") == "Too long for X by 10 weighted characters (290 of 280)."


def test_a_text_at_the_limit_fits() -> None:
    result = fit("a" * 280, "x_weighted", 280)

    assert (result.fits, result.over_by) == (True, 0)
    assert result.explain("X") == "Fits X (280 of 280 weighted characters)."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        (f"Status: {LONG_URL}", 8 + 23),
        (f"See {LONG_URL}, then http://a.co.", 4 + 23 + 7 + 23 + 1),
        ("Visit example.com for more", 26),
        ("日本語", 3),
        (FAMILY, 7),
    ],
)
def test_characters_count_code_points_and_every_url_as_23(text: str, expected: int) -> None:
    assert measure(text, "characters") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        (f"Status: {LONG_URL}", 8 + 23),
        ("Visit example.com for more", 6 + 23 + 9),
        ("Mail help@example.com", 21),
        ("こんにちは", 10),
        ("Hi 世界", 3 + 4),
        ("\u201cquoted\u201d \u2026", 8 + 1 + 2),
        ("caf\u00e9 and cafe\u0301", 13),
        (FAMILY, 2),
        (THUMBS_UP_MEDIUM, 2),
        (FLAG_JP, 2),
        ("\u00a9 2024", 6),
    ],
)
def test_x_weighted_length_follows_twitter_text_v3(text: str, expected: int) -> None:
    assert measure(text, "x_weighted") == expected


def test_cjk_text_reaches_the_x_limit_at_half_the_characters() -> None:
    assert fit("字" * 140, "x_weighted", 280).fits
    assert fit("字" * 141, "x_weighted", 280).over_by == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        (FAMILY, 1),
        (THUMBS_UP_MEDIUM, 1),
        (FLAG_JP, 1),
        ("cafe\u0301", 4),
        (f"Status: {LONG_URL}", 8 + len(LONG_URL)),
    ],
)
def test_graphemes_count_what_a_reader_sees_as_one_character(text: str, expected: int) -> None:
    assert measure(text, "graphemes") == expected


def test_three_hundred_family_emoji_fit_bluesky_and_one_more_does_not() -> None:
    assert fit(FAMILY * 300, "graphemes", 300).fits
    over = fit(FAMILY * 301, "graphemes", 300)
    assert over.over_by == 1
    assert "by 1 " in over.explain("Bluesky")


def test_the_none_rule_fits_any_length() -> None:
    result = fit("word " * 50_000, "none", None)

    assert result.fits
    assert result.over_by == 0


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown length rule 'bytes'"):
        measure("hello", "bytes")
