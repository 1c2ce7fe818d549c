"""Presentation without a UI toolkit: rows, advice, times, quota lines and clean output."""
