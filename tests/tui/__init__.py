"""Tests of the terminal UI, driving the real app with Pilot."""
