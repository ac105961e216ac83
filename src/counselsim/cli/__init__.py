"""The ``counselsim`` command: parse flags into a service's options, build through the
composition root, await the service, print its typed result. Thin.

Each module holds a group of commands on the one :data:`app` (:mod:`.app` also holds
:func:`main`, the consoles, logging and the shared model options):

- :mod:`.run` — ``simulate``, ``generate``, ``reconstruct``;
- :mod:`.score` — ``score``;
- :mod:`.judge` — ``judge validate`` (can a judge model be trusted on a rubric?);
- :mod:`.data` — ``export``, ``metrics``, ``report``;
- :mod:`.library` — ``schema``, ``profiles``, ``personas``, ``rubrics``, ``prepare-model``;
- :mod:`.privacy` — ``mask``, ``leaks``;
- :mod:`.practice` — ``practice`` (a trainee counsels a simulated client);
- :mod:`.stress` — ``stress-test`` (counselor models against the same difficult clients).

To add a command: write its service in :mod:`counselsim.services` (options in, result
out), then a module here whose ``@app.command()`` builds the options, calls the service and
prints the result, and import that module below.
"""

# The order the commands are registered in is their order in `counselsim --help`.
from counselsim.cli import run, stress, score, judge, data, library, privacy, practice  # noqa: I001
from counselsim.cli.app import app, main

__all__ = [
    "app",
    "data",
    "judge",
    "library",
    "main",
    "practice",
    "privacy",
    "run",
    "score",
    "stress",
]
