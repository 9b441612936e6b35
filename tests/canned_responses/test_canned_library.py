"""Loading the prepared-answer library from Markdown files, and writing it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from canned_responses.library import (
    CannedResponse,
    LoadProblem,
    dump_response,
    export_library,
    load_library,
    parse_response,
)

REFUND = """\
---
shortcode: refund
title: Refund request
tags: [refund, money back]
language: en
needs_approval: false
variants:
  x: "Sorry, {author.name|there}! DM us your order number."
---
Hi {author.name|there}, we'd be happy to help with a refund.

Could you send us your order number? – {agent.name}
"""

HOLDING = """\
---
shortcode: holding-statement
title: "Holding statement: we're on it"
tags: crisis
needs_approval: true
---
We know about {incident.title}. Updates: {incident.status_url}
"""


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def test_good_files_load_with_every_field(tmp_path: Path) -> None:
    write(tmp_path, "refund.md", REFUND)
    write(tmp_path, "holding.md", HOLDING)

    responses, problems = load_library(tmp_path)

    assert problems == []
    by_code = {response.shortcode: response for response in responses}
    refund = by_code["refund"]
    assert refund.title == "Refund request"
    assert refund.tags == ("refund", "money back")
    assert refund.language == "en"
    assert refund.needs_approval is False
    assert refund.variants == {"x": "Sorry, {author.name|there}! DM us your order number."}
    assert refund.body == (
        "Hi {author.name|there}, we'd be happy to help with a refund.\n\n"
        "Could you send us your order number? – {agent.name}"
    )
    assert refund.source == "refund.md"
    holding = by_code["holding-statement"]
    assert holding.title == "Holding statement: we're on it"
    assert holding.tags == ("crisis",)
    assert holding.language == "en"
    assert holding.needs_approval is True
    assert holding.variants == {}


def test_files_in_subfolders_load_and_are_named_by_their_path(tmp_path: Path) -> None:
    (tmp_path / "crisis").mkdir()
    write(tmp_path / "crisis", "holding.md", HOLDING)

    responses, problems = load_library(tmp_path)

    assert problems == []
    assert [response.source for response in responses] == ["crisis/holding.md"]


def test_invalid_yaml_is_reported_with_its_line_and_the_rest_still_loads(tmp_path: Path) -> None:
    write(tmp_path, "refund.md", REFUND)
    write(
        tmp_path,
        "broken.md",
        "---\nshortcode: broken\ntitle: Broken\ntags: [one, two\nlanguage: en\n---\nBody.\n",
    )

    responses, problems = load_library(tmp_path)

    assert [response.shortcode for response in responses] == ["refund"]
    assert len(problems) == 1
    assert problems[0].file == "broken.md"
    assert problems[0].line == 5
    assert "not valid YAML" in problems[0].message


def test_a_header_that_is_never_closed_points_at_line_one(tmp_path: Path) -> None:
    write(tmp_path, "open.md", "---\nshortcode: open\ntitle: Open\nBody without a fence.\n")
    write(tmp_path, "plain.md", "Just some text, no header at all.\n")

    responses, problems = load_library(tmp_path)

    assert responses == []
    assert {(problem.file, problem.line) for problem in problems} == {
        ("open.md", 1),
        ("plain.md", 1),
    }
    assert any("never closed" in problem.message for problem in problems)
    assert any("must start with" in problem.message for problem in problems)


def test_unknown_variable_in_the_body_is_reported_at_its_file_line(tmp_path: Path) -> None:
    text = (
        "---\nshortcode: typo\ntitle: Typo\n---\nHello {author.name|there},\n\nI am {agent.nmae}.\n"
    )
    write(tmp_path, "typo.md", text)
    write(tmp_path, "refund.md", REFUND)

    responses, problems = load_library(tmp_path)

    assert [response.shortcode for response in responses] == ["refund"]
    assert len(problems) == 1
    assert (problems[0].file, problems[0].line) == ("typo.md", 7)
    assert "{agent.nmae}" in problems[0].message
    assert str(problems[0]).startswith("typo.md:7: unknown variable {agent.nmae}")


def test_unknown_variable_in_a_variant_is_reported_at_the_variant_line(tmp_path: Path) -> None:
    text = (
        "---\nshortcode: short\ntitle: Short\nvariants:\n  bluesky: Hi there\n"
        '  x: "Hi {customer.name}"\n---\nHello.\n'
    )
    write(tmp_path, "short.md", text)

    _, problems = load_library(tmp_path)

    assert len(problems) == 1
    assert problems[0].line == 6
    assert "x variant" in problems[0].message
    assert "{customer.name}" in problems[0].message


def test_a_brace_that_is_not_a_variable_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "brace.md", "---\nshortcode: brace\ntitle: Brace\n---\nHi {author.name|there\n")

    _, problems = load_library(tmp_path)

    assert [(problem.line, "'{'" in problem.message) for problem in problems] == [(5, True)]


@pytest.mark.parametrize(
    ("header_line", "expected_words"),
    [
        ("needs_approval: maybe", "needs_approval must be true or false"),
        ("need_approval: true", "unknown header field 'need_approval'"),
        ("tags: {a: b}", "tags must be a list"),
        ("variants: [x, bluesky]", "variants must map a platform"),
        ("language: no", "language must be a language code"),
    ],
)
def test_a_wrong_header_field_is_reported_at_its_line(
    tmp_path: Path, header_line: str, expected_words: str
) -> None:
    write(tmp_path, "wrong.md", f"---\nshortcode: wrong\ntitle: Wrong\n{header_line}\n---\nBody.\n")

    responses, problems = load_library(tmp_path)

    assert responses == []
    assert [problem.line for problem in problems] == [4]
    assert expected_words in problems[0].message


def test_missing_shortcode_title_and_body_are_all_reported(tmp_path: Path) -> None:
    write(tmp_path, "empty.md", "---\nlanguage: en\n---\n\n")

    _, problems = load_library(tmp_path)

    messages = " ".join(problem.message for problem in problems)
    assert "shortcode is required" in messages
    assert "title is required" in messages
    assert "no body" in messages


def test_a_repeated_shortcode_keeps_the_first_file_and_reports_the_second(tmp_path: Path) -> None:
    write(tmp_path, "a-refund.md", REFUND)
    write(tmp_path, "b-refund-copy.md", REFUND.replace("Refund request", "Refund again"))

    responses, problems = load_library(tmp_path)

    assert [response.title for response in responses] == ["Refund request"]
    assert [(problem.file, problem.line) for problem in problems] == [("b-refund-copy.md", 2)]
    assert "already used by a-refund.md" in problems[0].message


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))

    _, problems = load_library(tmp_path)

    assert problems == [LoadProblem("latin1.md", 1, "the file is not UTF-8 text")]


def test_loading_a_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        load_library(tmp_path / "nowhere")


def test_dump_then_parse_gives_back_the_same_answer() -> None:
    tricky = CannedResponse(
        shortcode="tricky_one-2",
        title="Title: with a colon, 'quotes' and \"double quotes\"",
        body=(
            "Line one with {author.name|there}.\n\n- a list item\n- another: with colon"
            "\n\n日本語 👩‍👩‍👧"
        ),
        tags=("yes", "no", "null", "123", "two words"),
        language="no",
        variants={
            "x": "{author.name|Hi}, short and sweet: #hashtag",
            "bluesky": "Two lines\nin a variant",
        },
        needs_approval=True,
    )

    text = dump_response(tricky)
    parsed, problems = parse_response(text, "tricky.md")

    assert problems == []
    assert parsed == tricky


def test_export_writes_one_file_per_answer_that_loads_back_unchanged(tmp_path: Path) -> None:
    write(tmp_path, "refund.md", REFUND)
    write(tmp_path, "holding.md", HOLDING)
    original, _ = load_library(tmp_path)

    written = export_library(original, tmp_path / "exported")
    reloaded, problems = load_library(tmp_path / "exported")

    assert sorted(path.name for path in written) == ["holding-statement.md", "refund.md"]
    assert problems == []
    assert sorted(reloaded, key=lambda each: each.shortcode) == sorted(
        original, key=lambda each: each.shortcode
    )
