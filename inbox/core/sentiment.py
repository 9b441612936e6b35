"""Sentiment of social text, scored with VADER (vaderSentiment), a lexicon made for it.

The score is VADER's compound value in [-1, 1]; below `NEGATIVE_THRESHOLD` counts as
negative in views, alerts and stats.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

NEGATIVE_THRESHOLD = -0.05
POSITIVE_THRESHOLD = 0.05


@functools.cache
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(text: str) -> float:
    """VADER's compound score of `text`, rounded to three places."""
    return round(_analyzer().polarity_scores(text[:2_000])["compound"], 3)


def score_all(texts: Iterable[str]) -> list[float]:
    """Scores for many texts, in order."""
    analyzer = _analyzer()
    return [round(analyzer.polarity_scores(text[:2_000])["compound"], 3) for text in texts]


def label(value: float | None) -> str:
    """'negative', 'neutral', 'positive' or 'unscored' for a score."""
    if value is None:
        return "unscored"
    if value <= NEGATIVE_THRESHOLD:
        return "negative"
    if value >= POSITIVE_THRESHOLD:
        return "positive"
    return "neutral"
