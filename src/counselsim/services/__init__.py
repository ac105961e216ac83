"""One function per user job: typed options in, typed result out.

Each command module holds the job's options (a dataclass), its result (a pydantic model or
a dataclass) and the service function; the models, judges and memory come from the one
composition root, :mod:`counselsim.services.compose`. The CLI (:mod:`counselsim.cli`) only
parses flags into options, shows progress and prints the result.

- :mod:`.simulate` — one course (``simulate``);
- :mod:`.generate` — many courses, resumable, local or on Ray (:mod:`.runner`,
  :mod:`.distributed`, :mod:`.profiles`);
- :mod:`.reconstruct` — real dialogues rewritten under new profiles;
- :mod:`.score` — a rubric on a run or corpus, or two runs compared;
- :mod:`.judge_validate` — a judge model checked on the known-groups set;
- :mod:`.imports`, :mod:`.export`, :mod:`.metrics`, :mod:`.report`;
- :mod:`.privacy` — a JSONL file of texts masked (``mask``, with an optional LLM pass).

A new command adds a module here and a thin command in :mod:`counselsim.cli`.
"""
