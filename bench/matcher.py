"""Per-keystroke latency of the prepared-answer picker, against naive rapidfuzz in the same run.

Builds a synthetic 10,000-answer library (the starter answers' sentences mixed with made-up
product words) and a 300-answer one, types many queries character by character (with typos,
as agents type them), and times `Matcher.match` for every keystroke, twice: in a picker
session (words typed earlier are cached, as in the app) and cold (no cache: every word of
every keystroke looked up afresh). The reference is naive rapidfuzz over the bodies:
`process.extract(query, bodies, scorer=WRatio)`.

Run: python bench/matcher.py [--queries N] [--seed S]
Ends with one line: RESULT p95_ms_10k=<a> p95_ms_300=<b> (cold keystrokes, the stricter figure).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz, process

from canned_responses.library import CannedResponse, load_starter
from canned_responses.matcher import Matcher, normalise

_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "shi", "vo", "pel", "dar", "zen", "qu", "ix")


def made_up_words(rng: random.Random, count: int) -> list[str]:
    """Product, feature and place names that no dictionary knows, as a real library has."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic_library(size: int, rng: random.Random) -> list[CannedResponse]:
    """`size` answers built from the starter library's sentences, titles and tags."""
    starter, problems = load_starter()
    if problems:
        raise SystemExit(f"starter library has problems: {problems}")
    sentences = [
        sentence.strip() + "."
        for response in starter
        for sentence in response.body.replace("\n", " ").split(". ")
        if sentence.strip()
    ]
    title_words = sorted({word for response in starter for word in normalise(response.title)})
    tags = sorted({tag for response in starter for tag in response.tags})
    product_words = made_up_words(rng, 6000)
    responses: list[CannedResponse] = []
    for index in range(size):
        base = starter[index % len(starter)]
        product = rng.sample(product_words, 2)
        title_extra = rng.sample(title_words, 2)
        title = f"{base.title}: {product[0]} {title_extra[0]} {product[1]}".capitalize()
        shortcode = f"{base.shortcode}-{product[0]}-{index}"
        body = " ".join(rng.sample(sentences, rng.randint(3, 6)))
        body += f" This applies to {product[0]} and {product[1]} ({title_extra[1]})."
        responses.append(
            CannedResponse(
                shortcode=shortcode,
                title=title,
                body=body,
                tags=tuple(rng.sample(tags, 4)) + (product[0],),
                variants=dict(base.variants),
                needs_approval=base.needs_approval,
            )
        )
    return responses


def with_typo(text: str, rng: random.Random) -> str:
    """`text` with one slip of the fingers: a letter dropped, doubled, swapped or replaced."""
    if len(text) < 4:
        return text
    position = rng.randrange(1, len(text) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace", "none"))
    if kind == "drop":
        return text[:position] + text[position + 1 :]
    if kind == "double":
        return text[:position] + text[position] + text[position:]
    if kind == "swap":
        return text[: position - 1] + text[position] + text[position - 1] + text[position + 1 :]
    if kind == "replace":
        return text[:position] + rng.choice("abcdefghijklmnopqrstuvwxyz") + text[position + 1 :]
    return text


def typed_queries(library: Sequence[CannedResponse], count: int, rng: random.Random) -> list[str]:
    """Queries as agents type them: parts of titles, shortcodes and tags, some with typos."""
    queries: list[str] = []
    for _ in range(count):
        response = rng.choice(library)
        source = rng.choice(("title", "shortcode", "tags"))
        if source == "title":
            words = normalise(response.title)
            start = rng.randrange(0, max(1, len(words) - 1))
            query = " ".join(words[start : start + rng.randint(1, 3)])
        elif source == "shortcode":
            query = response.shortcode[: rng.randint(3, 14)]
        else:
            query = " ".join(rng.sample(list(response.tags), min(2, len(response.tags))))
        queries.append(with_typo(query, rng))
    return queries


def keystrokes(queries: Sequence[str]) -> list[str]:
    """Every prefix of every query, as the picker sees them while the agent types."""
    return [query[:end] for query in queries for end in range(1, len(query) + 1)]


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the samples fall (nearest rank)."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def time_each(run: Callable[[str], object], inputs: Sequence[str]) -> list[float]:
    """Milliseconds taken by `run` for each input."""
    timings: list[float] = []
    for text in inputs:
        started = time.perf_counter()
        run(text)
        timings.append((time.perf_counter() - started) * 1000.0)
    return timings


def describe(label: str, timings: Sequence[float]) -> str:
    """One line of figures for a set of timings."""
    return (
        f"  {label:<34} n={len(timings):>5}  median={statistics.median(timings):7.3f} ms"
        f"  p95={percentile(timings, 0.95):7.3f} ms  max={max(timings):7.3f} ms"
    )


def bench_library(
    name: str, library: list[CannedResponse], query_count: int, rng: random.Random
) -> float:
    """Print the figures for one library size and return the cold per-keystroke p95."""
    started = time.perf_counter()
    matcher = Matcher(library)
    build_ms = (time.perf_counter() - started) * 1000.0
    inputs = keystrokes(typed_queries(library, query_count, rng))
    print(f"{name}: {len(library)} answers, index built in {build_ms:.0f} ms")

    matcher.match("warm up")
    session = time_each(matcher.match, inputs)
    uncached = Matcher(library, word_cache_size=0)
    cold = time_each(uncached.match, inputs)
    bodies = [response.body for response in library]
    naive_inputs = rng.sample(inputs, min(len(inputs), 150))
    naive = time_each(
        lambda text: process.extract(text, bodies, scorer=fuzz.WRatio, limit=10), naive_inputs
    )
    print(describe("Matcher.match, picker session", session))
    print(describe("Matcher.match, cold keystroke", cold))
    print(describe("naive extract(WRatio) over bodies", naive))
    suggest_inputs = [
        "where is my package?? ordered 2 weeks ago and nothing",
        "cant log in, it says my account is locked",
        "is your site down? getting errors everywhere, this is unacceptable",
    ] * 10
    print(
        describe("Matcher.suggest (a customer message)", time_each(matcher.suggest, suggest_inputs))
    )
    return percentile(cold, 0.95)


def main() -> None:
    """Run the benchmark and print the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300, help="queries typed per library")
    parser.add_argument("--seed", type=int, default=20240501)
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    print(
        f"python {platform.python_version()} on {platform.machine()} {platform.processor() or ''}"
    )
    large = synthetic_library(10_000, rng)
    p95_10k = bench_library("10k library", large, arguments.queries, rng)
    small = synthetic_library(300, rng)
    p95_300 = bench_library("300 library", small, arguments.queries, rng)
    print(f"RESULT p95_ms_10k={p95_10k:.2f} p95_ms_300={p95_300:.2f}")


if __name__ == "__main__":
    main()
