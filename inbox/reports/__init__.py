"""Figures turned into text, charts, HTML, Markdown and CSV for people to read."""
