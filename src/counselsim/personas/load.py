"""Load a profile from YAML or JSON with one-line errors that name the file and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from counselsim.errors import ProfileError, field_error
from counselsim.personas.models import ClientProfile


def _first_error(path: Path, err: ValidationError) -> str:
    return f"{path}: {short_validation_error(err)}"


def short_validation_error(exc: ValidationError) -> str:
    """A profile's first validation error as ``invalid profile field 'path': message``."""
    loc, msg = field_error(exc)
    return f"invalid profile field '{loc}': {msg}"


def load_profile(path: str | Path) -> ClientProfile:
    """Read and validate a profile file (``.yaml``, ``.yml`` or ``.json``).

    Raises:
        ProfileError: the file is missing, unreadable, not YAML/JSON or not a valid profile.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{p}: profile file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{p}: cannot read profile: {exc}") from None
    try:
        data: Any = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0]
        raise ProfileError(f"{p}: not valid {p.suffix.lstrip('.') or 'YAML'}: {reason}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{p}: a profile must be a mapping of fields")
    try:
        return ClientProfile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(_first_error(p, exc)) from None
