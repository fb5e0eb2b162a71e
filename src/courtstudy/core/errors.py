"""Errors users see. Each message names the file (and row and column where there is one), what
was expected, and how to fix it; the command line prints the message without a traceback."""

from __future__ import annotations


class CourtstudyError(Exception):
    """Base class of the errors courtstudy raises on purpose."""


class StructuralError(CourtstudyError):
    """A file that cannot be read as a table of cases at all (missing, empty, not a table,
    unreadable encoding, no case-number or filing-date column under any known header)."""
