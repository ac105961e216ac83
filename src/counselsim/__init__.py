"""counselsim: multi-session counselor-client role-play simulation."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("counselsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
