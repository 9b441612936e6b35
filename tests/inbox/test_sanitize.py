"""The display cleaning, and the CSV and JSON the inbox writes for other programs."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox.core.sanitize import (
    LOOK_ALIKE_MARK,
    csv_cell,
    for_display,
    json_text,
    link_scheme,
    name_for_display,
    single_line,
    web_link,
)

PACKAGES = [Path(__file__).parents[2] / package for package in ("inbox", "tui", "adapters")]


@pytest.mark.parametrize(
    "name",
    [
        "car\u200bol",  # zero-width space
        "ca\u200drol",  # zero-width joiner
        "c\u200carol\u2060",  # zero-width non-joiner, word joiner
        "\ufeffcar\u00adol",  # byte order mark, soft hyphen
        "carol\U000e0041\U000e0042",  # tag characters
        "\u202ecarol\u202c",  # bidi override
    ],
)
def test_invisible_characters_are_gone_from_a_name(name):
    assert name_for_display(name) == "carol"
    assert single_line(name) == "carol"


def test_a_message_keeps_the_joiners_of_emoji_and_persian_words():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", with a non-joiner

    assert for_display(f"{family} {persian}") == f"{family} {persian}"


def test_a_name_mixing_latin_with_look_alike_letters_is_marked():
    impostor = "N\u0456mbus Support"  # a Cyrillic і
    assert name_for_display(impostor) == LOOK_ALIKE_MARK + impostor
    assert name_for_display("Nimbus Support") == "Nimbus Support"
    assert name_for_display("Иван Ivan") == "Иван Ivan"  # two scripts, each word in one


def test_single_line_keeps_no_escape_and_no_line_break():
    assert single_line("https://x.example/1\x1b]2;pwned\x07\n\u2028next") == (
        "https://x.example/1 next"
    )


@pytest.mark.parametrize(
    ("url", "opened", "scheme"),
    [
        ("https://mastodon.example/@carol/110", "https://mastodon.example/@carol/110", "https"),
        ("HTTP://x.example/a", "HTTP://x.example/a", "HTTP"),
        ("https://x.example/1\x1b]2;pwned\x07", "https://x.example/1", "https"),
        ("javascript:alert(1)", None, "javascript"),
        ("file:///etc/passwd", None, "file"),
        ("ssh://x.example", None, "ssh"),
        ("https:no-host", None, "https"),
        ("//x.example/1", None, "none"),
        ("java\x1b[31mscript:x", None, "javascript"),
    ],
)
def test_only_http_links_with_a_host_are_links_to_open(url, opened, scheme):
    assert web_link(url) == opened
    assert link_scheme(url) == scheme


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("  =1", "'  =1"),
        ("\r=1", "'\n=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("a\x1b]2;pwned\x07b\u202ec", "abc"),
        ("plain, text", "plain, text"),
        (-5, -5),
        (1.5, 1.5),
        (None, None),
        (datetime(2026, 1, 2, tzinfo=UTC), "2026-01-02T00:00:00+00:00"),
        ({"k": "=x"}, '{"k": "=x"}'),
    ],
)
def test_a_csv_cell_never_starts_a_formula_nor_holds_a_control(value, written):
    assert csv_cell(value) == written


def test_json_text_escapes_c1_bidi_and_invisible_characters_and_reads_back():
    value = {"text": "a\x1b\x9b31m\u202eb\u200d\u2028c\U000e0041 é ✓"}
    written = json_text(value, indent=2)
    raw = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u202e\U000e0041]"
    assert not re.search(raw, written)
    assert "é ✓" in written
    assert json.loads(written) == value


def test_every_csv_the_product_writes_goes_through_the_safe_writer():
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [
        str(path)
        for package in PACKAGES
        for path in package.rglob("*.py")
        if path.name != "sanitize.py" and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
