"""The prepared-answer library: Markdown files with YAML front matter, loaded and exported.

A file looks like this::

    ---
    shortcode: refund
    title: Refund request
    tags: [refund, money back]
    language: en
    needs_approval: false
    variants:
      x: "Sorry about that, {author.name|there}! DM us your order number and we'll sort it."
    ---
    Hi {author.name|there}, ...

Braces are reserved for variables (`{name}` or `{name|fallback}`); the names a template may
use are `KNOWN_VARIABLES`, shared with the renderer. A file that cannot be read becomes a
`LoadProblem` naming the file and line, and every other file still loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

KNOWN_VARIABLES: frozenset[str] = frozenset(
    {
        "author.name",
        "author.handle",
        "agent.name",
        "incident.title",
        "incident.status_url",
        "platform",
        "sla.expected_reply",
    }
)
"""Every variable a prepared answer may use; the loader refuses others, the renderer fills these."""

VARIABLE_PATTERN: re.Pattern[str] = re.compile(
    r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"(?:\|(?P<fallback>[^{}\n]*))?\}"
)
"""A variable in a template: `{author.name}` or `{author.name|there}` (fallback after `|`)."""

STARTER_DIRECTORY: Path = Path(__file__).parent / "starter"
"""Where the starter library shipped with the package lives."""

_SHORTCODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
_FIELDS = ("shortcode", "title", "tags", "language", "needs_approval", "variants")
_FENCE = "---"


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """One prepared answer: a body for every channel plus short variants for some."""

    shortcode: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    language: str = "en"
    variants: Mapping[str, str] = field(default_factory=dict, hash=False)
    needs_approval: bool = False
    source: str | None = field(default=None, compare=False)
    """The file this answer was loaded from, relative to its library; None if made in code."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "variants", MappingProxyType(dict(self.variants)))

    def text_for(self, platform: str) -> tuple[str, str | None]:
        """The template to send on `platform` and the variant's name, or the body and None."""
        variant = self.variants.get(platform)
        if variant is not None:
            return variant, platform
        return self.body, None


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """Why one file of a library was not loaded, in words a lead can act on."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class _FileRejected(Exception):
    """A file cannot become an answer; carries the problems to report."""

    def __init__(self, problems: list[LoadProblem]) -> None:
        super().__init__(problems)
        self.problems = problems


def load_library(directory: Path | str) -> tuple[list[CannedResponse], list[LoadProblem]]:
    """Load every `*.md` file under `directory`, in path order, with the problems found.

    A later file that repeats an earlier file's shortcode is reported and skipped.
    Raises NotADirectoryError if `directory` is not a directory.
    """
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    responses: list[CannedResponse] = []
    problems: list[LoadProblem] = []
    first_file_by_shortcode: dict[str, str] = {}
    for path in sorted(root.rglob("*.md")):
        name = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(LoadProblem(name, 1, "the file is not UTF-8 text"))
            continue
        except OSError as error:
            problems.append(LoadProblem(name, 1, f"the file cannot be read ({error.strerror})"))
            continue
        response, file_problems = parse_response(text, name)
        problems.extend(file_problems)
        if response is None:
            continue
        earlier = first_file_by_shortcode.get(response.shortcode)
        if earlier is not None:
            line = _first_line_starting_with(text, "shortcode:")
            message = f"shortcode {response.shortcode!r} is already used by {earlier}"
            problems.append(LoadProblem(name, line, message))
            continue
        first_file_by_shortcode[response.shortcode] = name
        responses.append(response)
    return responses, problems


def load_starter() -> tuple[list[CannedResponse], list[LoadProblem]]:
    """Load the starter library shipped with the package."""
    return load_library(STARTER_DIRECTORY)


def parse_response(text: str, name: str) -> tuple[CannedResponse | None, list[LoadProblem]]:
    """Read one answer from the text of a Markdown file called `name`.

    Returns the answer (or None) and every problem found, so an editor can show them all.
    """
    try:
        header, header_first_line, body, body_first_line = _split_front_matter(text, name)
        fields, key_lines = _read_header(header, header_first_line, name)
        response = _build_response(fields, key_lines, body.strip("\n").rstrip(), name)
    except _FileRejected as rejected:
        return None, rejected.problems
    template_problems = _template_problems(response, key_lines, body, body_first_line, name)
    if template_problems:
        return None, template_problems
    return response, []


def dump_response(response: CannedResponse) -> str:
    """The Markdown file text for `response`; `parse_response` reads it back unchanged."""
    header: dict[str, Any] = {
        "shortcode": response.shortcode,
        "title": response.title,
        "tags": list(response.tags),
        "language": response.language,
        "needs_approval": response.needs_approval,
    }
    if response.variants:
        header["variants"] = dict(response.variants)
    front_matter = yaml.dump(
        header, Dumper=_FrontMatterDumper, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return f"{_FENCE}\n{front_matter}{_FENCE}\n{response.body}\n"


def export_library(responses: Iterable[CannedResponse], directory: Path | str) -> list[Path]:
    """Write each answer to `<shortcode>.md` in `directory` (created if missing)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for response in responses:
        path = target / f"{response.shortcode}.md"
        path.write_text(dump_response(response), encoding="utf-8")
        written.append(path)
    return written


class _FrontMatterDumper(yaml.SafeDumper):
    """Writes tags on one line, apostrophes in double quotes and multi-line text as blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else '"' if "'" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_FrontMatterDumper.add_representer(str, _represent_str)
_FrontMatterDumper.add_representer(list, _represent_list)


def _first_line_starting_with(text: str, prefix: str) -> int:
    """The number of the first line of `text` that starts with `prefix`, else 1."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    return 1


def _split_front_matter(text: str, name: str) -> tuple[str, int, str, int]:
    """Split a file into (header, its first line, body, its first line)."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise _FileRejected(
            [LoadProblem(name, 1, "the file must start with a '---' line opening the header")]
        )
    for index in range(1, len(lines)):
        if lines[index].strip() == _FENCE:
            return "".join(lines[1:index]), 2, "".join(lines[index + 1 :]), index + 2
    raise _FileRejected(
        [LoadProblem(name, 1, "the header opened on line 1 is never closed with a '---' line")]
    )


def _read_header(header: str, first_line: int, name: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse the YAML header; return its fields and the file line of each key."""
    try:
        fields = yaml.safe_load(header)
        node = yaml.compose(header, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark is not None else 0)
        reason = error.problem or error.context or "it is not valid YAML"
        raise _FileRejected([LoadProblem(name, line, f"the header is not valid YAML: {reason}")])
    except yaml.YAMLError as error:
        raise _FileRejected(
            [LoadProblem(name, first_line, f"the header is not valid YAML: {error}")]
        )
    if not isinstance(fields, dict) or not isinstance(node, yaml.MappingNode):
        raise _FileRejected(
            [LoadProblem(name, first_line, "the header must be 'key: value' lines")]
        )
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key_lines[str(key_node.value)] = first_line + key_node.start_mark.line
        if key_node.value == "variants" and isinstance(value_node, yaml.MappingNode):
            for variant_key, _ in value_node.value:
                key_lines[f"variants.{variant_key.value}"] = (
                    first_line + variant_key.start_mark.line
                )
    return fields, key_lines


def _build_response(
    fields: dict[str, Any], key_lines: dict[str, int], body: str, name: str
) -> CannedResponse:
    """Check each header field's type and build the answer, or reject with every problem."""
    problems: list[LoadProblem] = []

    def complain(key: str, message: str) -> None:
        problems.append(LoadProblem(name, key_lines.get(key, 2), message))

    for key in fields:
        if key not in _FIELDS:
            complain(str(key), f"unknown header field {key!r} (known: {', '.join(_FIELDS)})")

    raw_shortcode = fields.get("shortcode")
    shortcode = raw_shortcode if isinstance(raw_shortcode, str) else ""
    if not _SHORTCODE_PATTERN.fullmatch(shortcode):
        complain(
            "shortcode",
            "shortcode is required: lower-case letters, digits, '-' and '_', like 'refund-late'",
        )

    raw_title = fields.get("title")
    title = raw_title.strip() if isinstance(raw_title, str) else ""
    if not title:
        complain("title", "title is required and must be text")

    raw_tags = fields.get("tags") or []
    tag_list = [raw_tags] if isinstance(raw_tags, str) else raw_tags
    tags: list[str] = []
    if isinstance(tag_list, list) and all(isinstance(tag, str) for tag in tag_list):
        tags = [tag.strip() for tag in tag_list if tag.strip()]
    else:
        complain("tags", "tags must be a list of words, like [refund, billing]")

    raw_language = fields.get("language", "en")
    language = raw_language.strip() if isinstance(raw_language, str) else ""
    if not language:
        complain("language", "language must be a language code, like en ('no' needs quotes)")

    needs_approval = fields.get("needs_approval", False)
    if not isinstance(needs_approval, bool):
        complain("needs_approval", "needs_approval must be true or false")
        needs_approval = True

    raw_variants = fields.get("variants") or {}
    variants: dict[str, str] = {}
    if not isinstance(raw_variants, dict):
        complain("variants", "variants must map a platform to its text, like 'x: ...'")
        raw_variants = {}
    for platform, variant in raw_variants.items():
        if isinstance(platform, str) and isinstance(variant, str) and variant.strip():
            variants[platform.lower()] = variant.strip()
        else:
            complain(f"variants.{platform}", f"the {platform} variant must be non-empty text")

    if not body.strip():
        problems.append(LoadProblem(name, key_lines.get("shortcode", 2), "the answer has no body"))
    if problems:
        raise _FileRejected(problems)
    return CannedResponse(
        shortcode=shortcode,
        title=title,
        body=body,
        tags=tuple(tags),
        language=language,
        variants=variants,
        needs_approval=needs_approval,
        source=name,
    )


def _template_problems(
    response: CannedResponse,
    key_lines: dict[str, int],
    raw_body: str,
    body_first_line: int,
    name: str,
) -> list[LoadProblem]:
    """Report unknown variables and stray braces in the body and in every variant."""
    problems: list[LoadProblem] = []
    leading_blank_lines = len(raw_body) - len(raw_body.lstrip("\n"))
    for line_offset, line in enumerate(response.body.split("\n")):
        line_number = body_first_line + leading_blank_lines + line_offset
        problems.extend(LoadProblem(name, line_number, text) for text in template_mistakes(line))
    for platform, variant in response.variants.items():
        line_number = key_lines.get(f"variants.{platform}", 2)
        problems.extend(
            LoadProblem(name, line_number, f"in the {platform} variant: {text}")
            for text in template_mistakes(variant)
        )
    return problems


def template_mistakes(template: str) -> list[str]:
    """Plain-language descriptions of unknown variables and stray braces in `template`."""
    mistakes: list[str] = []
    for found in VARIABLE_PATTERN.finditer(template):
        if found.group("name") not in KNOWN_VARIABLES:
            known = ", ".join("{" + variable + "}" for variable in sorted(KNOWN_VARIABLES))
            mistakes.append(f"unknown variable {{{found.group('name')}}} (known: {known})")
    leftover = VARIABLE_PATTERN.sub("", template)
    if "{" in leftover or "}" in leftover:
        mistakes.append("a '{' or '}' that is not part of a variable like {author.name|there}")
    return mistakes
