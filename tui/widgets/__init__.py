"""Widgets of the terminal UI: they render what they are given and report what happened."""
