"""Judge validation: can a judge model, on a rubric, be trusted?

- :mod:`.known_groups`: the shipped bilingual set of good/bad reply pairs (and its loader);
- :mod:`.measures`: known-groups accuracy and gap, agreement CIs, stability — the formulas;
- :mod:`.summary`: from the judge's scores to the figures;
- :mod:`.models`: ``validation.json`` as pydantic records.

``counselsim judge validate`` (:mod:`counselsim.services.judge_validate`) runs it.
"""
