"""The engine: every detector of a catalog on one new turn, or on a whole transcript.

Pure functions of the text: no model, no I/O after the catalog is loaded. Pattern detectors
scan each turn once (cached per turn), context functions then read those hits and the
earlier turns, and session functions read every turn's evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import cast

from counselsim.critic.evidence.catalog import Catalog, Detector, packaged_catalog
from counselsim.critic.evidence.context import (
    Found,
    SessionFn,
    Transcript,
    TurnContext,
    TurnFn,
)
from counselsim.critic.evidence.models import (
    LANGS,
    Evidence,
    EvidenceReport,
    Finding,
    Lang,
    TurnLike,
)
from counselsim.critic.evidence.text import Piece, sentences
from counselsim.errors import ConfigError
from counselsim.labels import Role


def _lang(lang: str) -> Lang:
    for code in LANGS:
        if lang == code:
            return code
    raise ConfigError(f"the evidence layer has no detectors for language '{lang}' (zh, en)")


def _match(det: Detector, role: Role, lang: Lang, sents: list[Piece]) -> list[Piece]:
    """A pattern detector's hits: at most one per sentence, the first that no guard vetoes,
    in sentences that meet the detector's ``requires``."""
    rx = det.pattern(role, lang)
    if rx is None:
        return []
    hits: list[Piece] = []
    for k, s in enumerate(sents):
        for m in rx.finditer(s.text):
            if m.end() == m.start():
                continue
            if not det.required(sents, k, lang):
                break
            if det.guarded(s, s.start + m.start(), lang):
                continue
            hits.append(Piece(s.start + m.start(), s.start + m.end(), m.group()))
            break
    return hits


class EvidenceEngine:
    """Runs a catalog's detectors.

    Args:
        catalog: the detectors (default: the packaged ones).
    """

    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or packaged_catalog()
        dets = self.catalog.detectors
        self._patterned = [d for d in dets if d.patterns]
        self._turn_level = [d for d in dets if d.spec.level == "turn"]
        # validated on load: a session-level detector always names a session function
        self._session_level = [
            (d, cast(SessionFn, d.function.fn))
            for d in dets
            if d.function and d.spec.level == "session"
        ]
        # A turn is checked when it is written and again with each later turn of its
        # session (as history), and once more when the session is recorded: its scan is a
        # pure function of its text, so it runs once; and its evidence is a pure function of
        # the transcript up to it (turn detectors read earlier turns only: each is evaluated
        # on that prefix), so the session's report reuses what was found when it was written.
        self._scan = lru_cache(maxsize=8192)(self._scan_text)
        self._at = lru_cache(maxsize=8192)(self._evaluate_last)

    def clear_cache(self) -> None:
        """Forget the per-text scans and evaluations (benchmarks time a cold start)."""
        self._scan.cache_clear()
        self._at.cache_clear()

    def detect_turn(
        self, text: str, role: Role, history: Sequence[TurnLike], lang: str
    ) -> list[Evidence]:
        """The evidence on one new turn, ``role`` saying ``text`` after ``history`` (the
        session so far), in ``lang`` (``zh`` or ``en``).

        Raises:
            ConfigError: a language without detectors.
        """
        code = _lang(lang)
        roles = (*(Role(t.role) for t in history), Role(role))
        texts = (*(t.text for t in history), text)
        return list(self._at(roles, texts, code))

    def detect_session(self, turns: Sequence[TurnLike], lang: str) -> EvidenceReport:
        """The evidence on every turn of one session's transcript, the findings across turns,
        and the counts and rates per 100 turns of every detector. (Give sessions one by one:
        a greeting opening the second session of a joined transcript would be a re-greeting.)

        Raises:
            ConfigError: a language without detectors.
        """
        code = _lang(lang)
        roles = [Role(t.role) for t in turns]
        keys, texts = tuple(roles), tuple(t.text for t in turns)
        per_turn = [list(self._at(keys[: i + 1], texts[: i + 1], code)) for i in range(len(turns))]
        findings = self._findings(roles, per_turn)
        evidence = [e for found in per_turn for e in found]
        return _report(self.catalog, code, roles, evidence, findings)

    def _evaluate_last(
        self, roles: tuple[Role, ...], texts: tuple[str, ...], lang: Lang
    ) -> tuple[Evidence, ...]:
        """The evidence on the last turn of a transcript (the cached :attr:`_at`)."""

        def scan(i: int) -> Found:
            return {k: list(v) for k, v in self._scan(texts[i], roles[i], lang).items()}

        tr = Transcript(list(roles), list(texts), scan)
        return tuple(self._evaluate(tr, len(texts) - 1, lang))

    def _scan_text(self, text: str, role: Role, lang: Lang) -> dict[str, tuple[Piece, ...]]:
        """The pattern detectors' hits on one turn's text (the cached :attr:`_scan`)."""
        sents = sentences(text)
        found = {d.id: _match(d, role, lang, sents) for d in self._patterned}
        return {k: tuple(v) for k, v in found.items() if v}

    def _evaluate(self, tr: Transcript, i: int, lang: Lang) -> list[Evidence]:
        role, text = tr.roles[i], tr.texts[i]
        found = tr.found(i)
        ctx = TurnContext(i, lang, tr, found)
        out: list[Evidence] = []
        for det in self._turn_level:
            if role not in det.spec.roles:
                continue
            hits = found.get(det.id, [])
            if det.function is not None and (hits or not det.patterns):
                hits = cast(TurnFn, det.function.fn)(ctx, hits, det.params)
            out += [_evidence(det, i, role, text, h) for h in hits]
        return out

    def _findings(self, roles: list[Role], per_turn: list[list[Evidence]]) -> list[Finding]:
        out: list[Finding] = []
        for det, fn in self._session_level:
            for anchor, indexes in fn(roles, per_turn, det.params):
                fields = anchor.model_dump(exclude={"detector", "severity"})
                out.append(
                    Finding(
                        detector=det.id,
                        severity=det.spec.severity,
                        turn_indexes=indexes,
                        **fields,
                    )
                )
        return out


def _evidence(det: Detector, i: int, role: Role, text: str, hit: Piece) -> Evidence:
    return Evidence(
        detector=det.id,
        turn_index=i,
        role=role,
        start=hit.start,
        end=hit.end,
        text_span=text[hit.start : hit.end],
        severity=det.spec.severity,
    )


def _report(
    catalog: Catalog,
    lang: Lang,
    roles: list[Role],
    evidence: list[Evidence],
    findings: list[Finding],
) -> EvidenceReport:
    counts = dict.fromkeys(catalog.ids, 0)
    for det_id, _ in {(e.detector, e.turn_index) for e in evidence}:
        counts[det_id] += 1
    for f in findings:
        counts[f.detector] += 1
    n = len(roles)
    return EvidenceReport(
        language=lang,
        turns=n,
        turns_by_role={r: roles.count(r) for r in Role},
        evidence=evidence,
        findings=findings,
        counts=counts,
        rates={k: round(100 * v / n, 3) if n else 0.0 for k, v in counts.items()},
    )


@lru_cache(maxsize=1)
def default_engine() -> EvidenceEngine:
    """The engine over the packaged catalog, built on first use."""
    return EvidenceEngine()


def detect_turn(text: str, role: Role, history: Sequence[TurnLike], lang: str) -> list[Evidence]:
    """:meth:`EvidenceEngine.detect_turn` with the packaged detectors."""
    return default_engine().detect_turn(text, role, history, lang)


def detect_session(turns: Sequence[TurnLike], lang: str) -> EvidenceReport:
    """:meth:`EvidenceEngine.detect_session` with the packaged detectors."""
    return default_engine().detect_session(turns, lang)
