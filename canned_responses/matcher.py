"""Find prepared answers fast: as an agent types in a picker, and for a customer's message.

Both searches run on a word index built once per library. Each query word is compared with
rapidfuzz against the library's vocabulary (not against every answer), so a typo still finds
its word and a keystroke costs about the same on 300 answers as on 10,000:

- `Matcher.match` reads the query as the start of words: ``"pasw res"`` finds "Password
  reset". Every word must match somewhere (shortcode and title count most, then tags, then
  the body); when no answer has them all, answers with most of them come first. An empty
  query lists the library in shortcode order, so a picker opened with nothing typed is useful.
- `Matcher.suggest` reads a customer's message as whole words, trims common endings
  ("refunded" -> "refund"), weighs rare words above common ones and sums over the message,
  so a paraphrase finds the answer whose tags and title share its words.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from canned_responses.library import VARIABLE_PATTERN, CannedResponse

MATCH_FIELD_WEIGHTS: dict[str, float] = {"shortcode": 1.0, "title": 1.0, "tags": 0.9, "body": 0.6}
"""How much a word found in each field counts when an agent types a query."""

SUGGEST_FIELD_WEIGHTS: dict[str, float] = {"shortcode": 0.7, "title": 1.0, "tags": 1.0, "body": 0.5}
"""How much a word found in each field counts when ranking answers for a customer's message."""

# fmt: off
STOPWORDS: frozenset[str] = frozenset({
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "been", "before", "being", "below", "between", "both", "but", "by", "could",
    "did", "do", "does", "doing", "during", "each", "few", "for", "from", "further", "had", "has",
    "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i",
    "if", "in", "into", "is", "it", "its", "itself", "just", "let", "me", "more", "most", "my",
    "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our",
    "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such",
    "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these",
    "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "would", "you", "your", "yours", "yourself", "yourselves", "hi", "hello", "hey", "please",
    "im", "ive", "youre", "weve", "dont", "isnt", "get", "got", "can",
})
# fmt: on
"""Words too common to tell answers apart; left out of the index and of queries."""

_WORD = re.compile(r"[^\W_]+")
_COMBINING_MARK = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHES = re.compile(r"['\u2019\u02bc]")
_SUFFIXES = (
    "ations",
    "ation",
    "ingly",
    "edly",
    "ings",
    "ing",
    "ated",
    "ates",
    "ate",
    "ies",
    "ied",
    "ed",
    "es",
    "ly",
    "s",
)
_PREFIX_ONLY_BELOW = 4
_HEAD_ONLY_BELOW = 3
_MATCH_CUTOFF = 75.0
_SUGGEST_CUTOFF = 85.0
_SUGGEST_FUZZY_FROM = 5


@dataclass(frozen=True, slots=True)
class Match:
    """One answer found for a query, with how well it matched (0 to 100)."""

    response: CannedResponse
    score: float


def normalise(text: str) -> list[str]:
    """The words of `text`: case and accents folded, apostrophes dropped, punctuation split."""
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING_MARK.sub("", unicodedata.normalize("NFKD", folded))
    return _WORD.findall(_APOSTROPHES.sub("", folded))


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """`word` without a common English ending, so "refunded" and "refunds" meet at "refund"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stemmed = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return stemmed + "y"
            if suffix == "s" and stemmed.endswith(("s", "u", "i")):
                return word
            return stemmed
    return word


class Matcher:
    """Ranks a fixed set of answers for typed queries and for customers' messages.

    Build it once per library (it indexes every word); `match` and `suggest` are then cheap.
    `word_cache_size` bounds how many typed words keep their scores between keystrokes.
    """

    def __init__(self, responses: Iterable[CannedResponse], word_cache_size: int = 512) -> None:
        self._responses: list[CannedResponse] = sorted(responses, key=lambda each: each.shortcode)
        words_by_field = [_field_words(response) for response in self._responses]
        self._build_match_index(words_by_field)
        self._build_suggest_index(words_by_field)
        self._word_cache: dict[str, dict[int, float]] = {}
        self._word_cache_size = word_cache_size

    def __len__(self) -> int:
        return len(self._responses)

    def match(self, query: str, limit: int = 10) -> list[Match]:
        """The answers an agent most likely means by `query`, best first, at most `limit`.

        The last word may be unfinished. An empty query returns the first `limit` answers in
        shortcode order, each with score 0.
        """
        words = normalise(query)
        if not words:
            return [Match(response, 0.0) for response in self._responses[:limit]]
        finished = words[:-1] if query and not query[-1].isspace() else words
        unfinished = words[len(finished) :]
        meaningful = [word for word in finished if word not in STOPWORDS] + unfinished
        query_words = list(dict.fromkeys(meaningful or words))
        scores_per_word = [self._match_word(word) for word in query_words]
        found = [scores for scores in scores_per_word if scores]
        if not found:
            return []
        found.sort(key=len)
        candidates: set[int] = set(found[0]).intersection(*found[1:])
        if not candidates:
            candidates = set().union(*found)
        word_count = len(query_words)
        totals = {
            doc: sum(scores.get(doc, 0.0) for scores in found) / word_count for doc in candidates
        }
        best = heapq.nlargest(limit, totals, key=lambda doc: (totals[doc], -doc))
        return [Match(self._responses[doc], round(totals[doc], 1)) for doc in best]

    def suggest(self, inbound_text: str, limit: int = 5) -> list[Match]:
        """The answers that best fit a customer's message, best first, at most `limit`."""
        words = {stem(word) for word in normalise(inbound_text) if word not in STOPWORDS}
        totals: dict[int, float] = {}
        possible = 0.0
        for word in words:
            if len(word) < 2:
                continue
            best_per_doc: dict[int, float] = {}
            best_weight = 0.0
            for stem_id, similarity in self._similar_stems(word):
                idf = self._stem_idf[stem_id]
                best_weight = max(best_weight, idf * similarity)
                for doc, field_weight in self._stem_postings[stem_id].items():
                    contribution = idf * similarity * field_weight
                    if contribution > best_per_doc.get(doc, 0.0):
                        best_per_doc[doc] = contribution
            possible += best_weight
            for doc, contribution in best_per_doc.items():
                totals[doc] = totals.get(doc, 0.0) + contribution
        if not totals:
            return []
        best = heapq.nlargest(limit, totals, key=lambda doc: (totals[doc], -doc))
        return [
            Match(self._responses[doc], round(100.0 * totals[doc] / possible, 1)) for doc in best
        ]

    def _build_match_index(self, words_by_field: list[dict[str, list[str]]]) -> None:
        """Index every word by the answers and fields it occurs in, and by each of its prefixes."""
        docs_by_weight_and_term: dict[float, dict[str, list[int]]] = {
            weight: {} for weight in sorted(set(MATCH_FIELD_WEIGHTS.values()))
        }
        for doc, fields in enumerate(words_by_field):
            fields_without_stopwords = {**fields, "body": set(fields["body"]) - STOPWORDS}
            for word, field_weight in _best_weights(fields_without_stopwords, MATCH_FIELD_WEIGHTS):
                docs_by_weight_and_term[field_weight].setdefault(word, []).append(doc)
        self._terms: list[str] = sorted(
            {term for docs_by_term in docs_by_weight_and_term.values() for term in docs_by_term}
        )
        self._term_groups: list[list[tuple[float, list[int]]]] = [
            [
                (weight, docs_by_term[term])
                for weight, docs_by_term in docs_by_weight_and_term.items()
                if term in docs_by_term
            ]
            for term in self._terms
        ]
        self._longest_term = max((len(term) for term in self._terms), default=0)
        self._prefixes: list[list[str]] = [[]]
        self._prefix_terms: list[list[range]] = [[]]
        self._prefix_position: list[dict[str, int]] = [{}]
        for length in range(1, self._longest_term + 1):
            prefixes: list[str] = []
            starts: list[int] = []
            for term_id, term in enumerate(self._terms):
                if not prefixes or term[:length] != prefixes[-1]:
                    prefixes.append(term[:length])
                    starts.append(term_id)
            starts.append(len(self._terms))
            self._prefixes.append(prefixes)
            self._prefix_terms.append(
                [range(starts[i], starts[i + 1]) for i in range(len(prefixes))]
            )
            self._prefix_position.append({prefix: index for index, prefix in enumerate(prefixes)})

    def _build_suggest_index(self, words_by_field: list[dict[str, list[str]]]) -> None:
        """Index the stem of every word by the answers it occurs in, with how rare it is."""
        postings: dict[str, dict[int, float]] = {}
        for doc, fields in enumerate(words_by_field):
            stems_by_field = {
                field_name: {stem(word) for word in set(words) - STOPWORDS}
                for field_name, words in fields.items()
            }
            for word_stem, field_weight in _best_weights(stems_by_field, SUGGEST_FIELD_WEIGHTS):
                postings.setdefault(word_stem, {})[doc] = field_weight
        self._stems: list[str] = sorted(postings)
        self._stem_position: dict[str, int] = {
            word: index for index, word in enumerate(self._stems)
        }
        self._stem_postings: list[dict[int, float]] = [postings[word] for word in self._stems]
        document_count = len(self._responses)
        self._stem_idf: list[float] = [
            math.log(1.0 + (document_count - len(docs) + 0.5) / (len(docs) + 0.5))
            for docs in self._stem_postings
        ]

    def _match_word(self, word: str) -> dict[int, float]:
        """Best score per answer for one query word read as the start of a word (cached)."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        length = min(len(word), self._longest_term)
        if length == 0:
            return {}
        prefixes = self._prefixes[length]
        if len(word) < _PREFIX_ONLY_BELOW:
            position = self._prefix_position[length].get(word)
            matched = [] if position is None else [(word, 100.0, position)]
        else:
            matched = process.extract(
                word, prefixes, scorer=fuzz.ratio, score_cutoff=_MATCH_CUTOFF, limit=None
            )
        head_only = len(word) < _HEAD_ONLY_BELOW
        scored_groups: list[tuple[float, list[int]]] = []
        for _, similarity, position in matched:
            for term_id in self._prefix_terms[length][position]:
                completeness = 0.9 + 0.1 * min(1.0, len(word) / len(self._terms[term_id]))
                for field_weight, docs in self._term_groups[term_id]:
                    if head_only and field_weight < MATCH_FIELD_WEIGHTS["tags"]:
                        continue
                    scored_groups.append((similarity * completeness * field_weight, docs))
        scored_groups.sort(key=lambda group: group[0])
        scores: dict[int, float] = {}
        for score, docs in scored_groups:
            scores.update(dict.fromkeys(docs, score))
        if self._word_cache_size > 0:
            if len(self._word_cache) >= self._word_cache_size:
                self._word_cache.clear()
            self._word_cache[word] = scores
        return scores

    def _similar_stems(self, word: str) -> list[tuple[int, float]]:
        """Stems in the library equal to `word`, or close to it when it is long enough."""
        position = self._stem_position.get(word)
        if position is not None:
            return [(position, 1.0)]
        if len(word) < _SUGGEST_FUZZY_FROM:
            return []
        found = process.extract(
            word, self._stems, scorer=fuzz.ratio, score_cutoff=_SUGGEST_CUTOFF, limit=3
        )
        return [(index, similarity / 100.0) for _, similarity, index in found]


def _best_weights(
    words_by_field: Mapping[str, Iterable[str]], field_weights: Mapping[str, float]
) -> Iterable[tuple[str, float]]:
    """Each word once, with the weight of the most important field it occurs in."""
    best: dict[str, float] = {}
    for field_name in sorted(words_by_field, key=field_weights.__getitem__):
        best.update(dict.fromkeys(words_by_field[field_name], field_weights[field_name]))
    return best.items()


def _field_words(response: CannedResponse) -> dict[str, list[str]]:
    """The words of each searchable field, variables left out of the body."""
    body_without_variables = VARIABLE_PATTERN.sub(" ", response.body)
    return {
        "shortcode": normalise(response.shortcode),
        "title": normalise(response.title),
        "tags": [word for tag in response.tags for word in normalise(tag)],
        "body": normalise(body_without_variables),
    }
