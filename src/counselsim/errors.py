"""Typed errors. Every error a user can cause or meet carries a one-line message."""

from __future__ import annotations

from pydantic import ValidationError


class CounselsimError(Exception):
    """Base class: ``str(err)`` is a complete one-line message for the user."""


class ConfigError(CounselsimError):
    """A bad option, flag combination or config file."""


class ProfileError(CounselsimError):
    """A profile file that is missing, unreadable or invalid."""


class ModelUnavailableError(CounselsimError):
    """A model that cannot be loaded or a server that cannot be reached."""


class ModelRequestError(CounselsimError):
    """A model server that refused a request for a reason a retry would not change (a 4xx:
    a prompt over the context, an unknown model, a bad key)."""


class TransientModelError(CounselsimError):
    """A model call that failed for a reason worth retrying (timeout, 429, 5xx)."""


class StructuredOutputError(CounselsimError):
    """A structured step whose output stayed invalid after the bounded repairs."""

    def __init__(self, step: str, attempts: int, last_error: str) -> None:
        super().__init__(
            f"step '{step}' produced no valid output after {attempts} attempts: {last_error}"
        )
        self.step = step
        self.attempts = attempts
        self.last_error = last_error


class SourceError(CounselsimError):
    """An import source or a dialogues file that cannot be read at all (missing, not a file
    of the expected kind); problems with single records are reported per record instead."""


class ScriptExhaustedError(CounselsimError):
    """The scripted fake chat model was called more often than it was scripted for."""


class OutputError(CounselsimError):
    """The output directory cannot be used (exists with other content, not writable)."""


class DataError(CounselsimError):
    """An input data file that is missing, unreadable or holds no usable records."""


def field_error(exc: ValidationError) -> tuple[str, str]:
    """The first error of a validation as ``(field.path, message)``; the message notes how
    many more there are. Pydantic messages carry no input values, so this never quotes data."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "<root>"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return loc, f"{first['msg']}{more}"


class PracticeError(CounselsimError):
    """A practice request that cannot be carried out: a bad trainee turn (``input``), an
    unknown session (``not_found``), or one the session's state does not allow now
    (``conflict``: the client is still answering, another tab moved it on)."""

    def __init__(self, message: str, kind: str = "input") -> None:
        super().__init__(message)
        self.kind = kind
