"""The ``courtstudy`` command.

Each subcommand lives in ``courtstudy/commands/<name>.py`` with a ``register(subparsers)``
function that adds its parser and sets ``handler`` (a function of the parsed arguments that
returns the exit status). Heavy imports happen inside the handlers so that ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from courtstudy.core.errors import CourtstudyError

#: Subcommands in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = ("simulate", "validate", "indicators", "edition", "project", "deadlines",
                             "audit", "diversion")


def one_line(message: str) -> str:
    """A message of several lines (zh, then en) as one line."""
    return " / ".join(part.strip() for part in message.splitlines() if part.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="courtstudy",
        description=(
            "Court research tools: read case-management exports without losing a row, compute "
            "trial quality and efficiency indicators (审判质效), estimate what triage and "
            "fast-track teams did, and produce dated report editions. Every command runs on the "
            "built-in synthetic court when you have no data yet."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"courtstudy.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except CourtstudyError as exc:
        # A clear message, not a traceback: these errors name the file and the fix. One line
        # (zh and en joined), so a log or cron mail shows it whole.
        print(f"courtstudy: {one_line(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
