"""Prepared answers: load the Markdown library, match it fuzzily, render it per channel."""
