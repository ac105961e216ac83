"""Load a profile from YAML or JSON with one-line errors that name the file and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from counselsim.errors import ProfileError
from counselsim.personas.models import ClientProfile


def _first_error(path: Path, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "<root>"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{path}: invalid profile field '{loc}': {first['msg']}{more}"


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
