"""Error mapping: every failure of the sim's SQLite or the `orb` CLI becomes a ProviderError."""

from __future__ import annotations

import re
import sqlite3
import subprocess

from attrs import frozen

from provider_core import ErrorCode, ProviderError

PROVIDER = "orbstack"


class OrbctlFailure(Exception):
    """`orb` exited non-zero; carries the verb and what it printed on stderr."""

    def __init__(self, verb: str, returncode: int, stderr: str) -> None:
        self.verb = verb
        self.returncode = returncode
        self.stderr = stderr.strip()
        super().__init__(f"orb {verb} exited {returncode}: {self.stderr or '(no output)'}")


@frozen
class Rule:
    kind: type[BaseException]
    pattern: str  # searched in the lower-cased message; "" matches any message
    code: ErrorCode


# First match wins. The CLI has no error codes, so its stderr wording is all there is to go on.
RULES: tuple[Rule, ...] = (
    Rule(OrbctlFailure, r"not found|does not exist|doesn't exist|no such machine", ErrorCode.NOT_FOUND),
    Rule(
        OrbctlFailure,
        r"already exists|invalid|unknown (distro|image|arch)|unsupported|usage:",
        ErrorCode.INVALID_SPEC,
    ),
    Rule(
        OrbctlFailure,
        r"no space left|not enough (disk|memory)|out of (disk|memory)",
        ErrorCode.CAPACITY_ERROR,
    ),
    Rule(
        OrbctlFailure,
        r"not running|connection refused|timed out|timeout|daemon|try again",
        ErrorCode.UNAVAILABLE,
    ),
    Rule(subprocess.TimeoutExpired, "", ErrorCode.UNAVAILABLE),
    Rule(FileNotFoundError, "", ErrorCode.UNAVAILABLE),
    Rule(sqlite3.OperationalError, r"locked|busy|unable to open|disk i/o|readonly", ErrorCode.UNAVAILABLE),
)


def map_error(exc: BaseException, provider: str = PROVIDER) -> ProviderError:
    """The ProviderError for exc (unchanged when it already is one), with exc chained as the cause."""
    if isinstance(exc, ProviderError):
        return exc
    message = str(exc)
    lowered = message.lower()
    code = next(
        (r.code for r in RULES if isinstance(exc, r.kind) and re.search(r.pattern, lowered)),
        ErrorCode.INTERNAL,
    )
    error = ProviderError(code, f"{type(exc).__name__}: {message}", provider=provider)
    error.__cause__ = exc
    return error


def error(code: ErrorCode, message: str, *, retry_after: float | None = None) -> ProviderError:
    return ProviderError(code, message, provider=PROVIDER, retry_after=retry_after)
