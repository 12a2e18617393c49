"""User-facing errors: each says where the problem is and what to do, and maps to an exit code."""

from __future__ import annotations


class CalciKGError(Exception):
    """An error the CLI prints as one line (no traceback) before exiting with ``exit_code``."""

    exit_code = 2


class RecordError(CalciKGError):
    """A curated record is wrong: names the file, the line, the field and the fix."""

    def __init__(self, file: str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class NotBuiltError(CalciKGError):
    """The graph has not been built yet."""


class UsageError(CalciKGError):
    """A wrong query name, parameter or option."""
