"""Realistic surrogates: a fake identifier of the same type and shape for each original.

:class:`SurrogateFactory` is deterministic for a seed: each surrogate is drawn from a
random generator seeded with ``(seed, type, canonical original)``, so the same identifier
gets the same surrogate in every text of a record or a course, whatever the order. Within
one factory two different originals never share a surrogate, and no surrogate equals an
original the factory has seen.

Shapes are kept: 小王 -> 小李, 王老师's 王 -> 李, a Chinese full name -> one of the same
gender when the given name tells; English first names keep their gender; phone numbers,
cards and plates keep their grouping; fake ID numbers and cards pass their checksums.

Nothing here logs identifiers.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterable

from counselsim.privacy.fake_places import fake_address, fake_institution
from counselsim.privacy.fakes import (
    EN_ANY,
    EN_LAST,
    case_like,
    fake_card,
    fake_date,
    fake_email,
    fake_handle,
    fake_id,
    fake_phone_key,
    fake_url,
    render_digits,
    shape_fake,
)
from counselsim.privacy.lexicon import (
    EN_FIRST_FEMALE,
    EN_FIRST_MALE,
    EN_FIRST_NAMES,
    PINYIN_SURNAMES,
    ZH_COMMON_SURNAMES,
    ZH_FEMALE_GIVEN,
    ZH_MALE_GIVEN,
    ZH_SURNAMES,
    en_gender,
    zh_gender,
)
from counselsim.privacy.ner.zh_name_shapes import split_name
from counselsim.privacy.spans import CJK_RE, EntityType, Span, canonical, words

_ZH_SURNAME_POOL = tuple(sorted(ZH_COMMON_SURNAMES))
_EN_MALE = tuple(sorted(EN_FIRST_MALE - EN_FIRST_FEMALE))
_EN_FEMALE = tuple(sorted(EN_FIRST_FEMALE - EN_FIRST_MALE))
_PINYIN_SUR = tuple(sorted(PINYIN_SURNAMES))
_PINYIN_GIVEN = tuple(
    words(
        """
        Wei Ming Hua Jing Lei Fang Na Tao Jun Yan Qiang Min Jie Xin Hao Lin Ping Bo Yun Hui
        """
    )
)
_WORDY = frozenset(
    {EntityType.NAME, EntityType.ADDRESS, EntityType.SCHOOL, EntityType.ORG, EntityType.HANDLE}
)


class SurrogateFactory:
    """Makes and remembers surrogates for one record or one course.

    Args:
        seed: Same seed, same surrogates.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._by_key: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()
        self._originals: set[str] = set()
        # component maps keep related forms consistent: 王芳 / 小王 / 王老师 share 王 -> 李
        self._parts: dict[tuple[str, str], str] = {}
        self._part_used: dict[str, set[str]] = {}
        self._part_originals: dict[str, set[str]] = {}

    # ------------------------------------------------------------------ bookkeeping

    def reserve(self, spans: Iterable[Span]) -> None:
        """Remember originals so that no surrogate equals one of them (call before
        :meth:`surrogate` with all spans of a text)."""
        for s in spans:
            self._originals.add(s.text)
            if s.type is EntityType.NAME:
                for kind, part in self._name_parts(s.text):
                    self._part_originals.setdefault(kind, set()).add(part)

    def _rng(self, *key: object) -> random.Random:
        return random.Random("|".join(map(str, (self.seed, *key))))

    def _part(self, kind: str, original: str, make: Callable[[random.Random], str]) -> str:
        """A consistent, injective replacement for a name component (surname, given...)."""
        known = self._parts.get((kind, original))
        if known is not None:
            return known
        used = self._part_used.setdefault(kind, set())
        originals = self._part_originals.setdefault(kind, set()) | {original}
        candidate = original
        for attempt in range(200):
            candidate = make(self._rng(kind, original, attempt))
            if candidate not in used and candidate not in originals:
                break
        used.add(candidate)
        self._parts[(kind, original)] = candidate
        return candidate

    def surrogate(self, span: Span) -> str:
        """The surrogate of one detected identifier (the same one every time)."""
        key = (span.type.value, canonical(span.type, span.text))
        known = self._by_key.get(key)
        if known is not None:
            return self._reformat(span, known)
        self._originals.add(span.text)
        result = span.text
        for attempt in range(100):
            try:
                result = self._make(span, attempt)
            except (ValueError, IndexError, KeyError, AssertionError):
                result = span.text  # an odd shape (e.g. from the LLM layer): see below
            if result == span.text or not result.strip():
                rng = self._rng("shape", span.text, attempt)
                result = shape_fake(span.text, rng, cjk=span.type in _WORDY)
            if result != span.text and result not in self._used and result not in self._originals:
                break
        else:  # pragma: no cover - 100 collisions in a row cannot happen with these pools
            result = f"{result}{len(self._used)}"
        self._used.add(result)
        self._by_key[key] = result
        return result

    def _reformat(self, span: Span, known: str) -> str:
        """A formatting variant of a known identifier gets the same digits in its own format."""
        if span.type in (EntityType.PHONE, EntityType.BANK_CARD):
            fake_key = canonical(span.type, known)
            return render_digits(span.text, fake_key[-len(canonical(span.type, span.text)) :])
        if span.type is EntityType.LICENSE_PLATE:
            return self._plate(span.text, known)
        return known

    # ------------------------------------------------------------------ makers

    def _make(self, span: Span, attempt: int) -> str:
        rng = self._rng(span.type.value, canonical(span.type, span.text), attempt)
        text = span.text
        match span.type:
            case EntityType.NAME:
                return self._name(text, attempt)
            case EntityType.PHONE:
                return render_digits(text, fake_phone_key(canonical(span.type, text), rng))
            case EntityType.BANK_CARD:
                key = canonical(span.type, text)
                if not key.isdigit():  # an IBAN: same letters-and-digits shape
                    return shape_fake(text, rng, cjk=False)
                return render_digits(text, fake_card(key, rng))
            case EntityType.ID_NUMBER:
                return fake_id(text, rng)
            case EntityType.EMAIL:
                return fake_email(text, rng)
            case EntityType.URL:
                return fake_url(text, rng)
            case EntityType.HANDLE:
                return fake_handle(text, rng)
            case EntityType.LICENSE_PLATE:
                return self._plate(text, None, rng)
            case EntityType.DATE:
                return fake_date(text, rng)
            case EntityType.ADDRESS:
                return fake_address(text, rng)
            case EntityType.SCHOOL | EntityType.ORG:
                return fake_institution(text, span.type, rng)
        return text  # pragma: no cover

    def _plate(self, original: str, known: str | None, rng: random.Random | None = None) -> str:
        keep = 2 if CJK_RE.match(original) else 0  # 京A / 粤B stay; US plates change whole
        if known is not None:  # same plate, other separator: reuse the known characters
            fake_chars = [ch for ch in known if ch.isalnum()][keep:]
        else:
            assert rng is not None
            fake_chars = []
            body = [ch for ch in original if ch.isalnum()][keep:]
            for i, ch in enumerate(body):
                if ch.isdigit():
                    fake_chars.append(rng.choice(string.digits))
                elif keep and ch in "DF" and (i == 0 or i == len(body) - 1) and len(body) == 6:
                    fake_chars.append(ch)  # new-energy marker
                elif ch.isascii():
                    fake_chars.append(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ"))
                else:
                    fake_chars.append(ch)  # 挂/学/警...
        out, k, seen = [], 0, 0
        for ch in original:
            if ch.isalnum():
                seen += 1
                if seen > keep:
                    out.append(fake_chars[k])
                    k += 1
                    continue
            out.append(ch)
        return "".join(out)

    # ------------------------------------------------------------------ names

    @staticmethod
    def _name_parts(name: str) -> list[tuple[str, str]]:
        """(component kind, original component) pairs used by the component maps."""
        if CJK_RE.search(name):
            if len(name) == 2 and name[0] in "小老阿":
                kind = "zh_surname" if name[1] in ZH_COMMON_SURNAMES else "zh_given1"
                return [(kind, name[1])]
            surname, given = split_name(name)
            parts = [("zh_surname", surname)] if surname else []
            return parts + ([(f"zh_given{len(given)}", given)] if given else [])
        words = name.split()
        if len(words) == 1:
            w = words[0]
            kind = "en_first" if w in EN_FIRST_NAMES else "en_last"
            return [(kind, w)]
        if words[0] in PINYIN_SURNAMES and words[0] not in EN_FIRST_NAMES:
            return [("py_surname", words[0]), ("py_given", " ".join(words[1:]))]
        return [("en_first", words[0])] + [("en_last", w) for w in words[1:]]

    def _name(self, name: str, attempt: int) -> str:
        if CJK_RE.search(name):
            return self._zh_name(name, attempt)
        words = name.split()
        if words and words[0] in PINYIN_SURNAMES and words[0] not in EN_FIRST_NAMES:
            sur = self._part("py_surname", words[0], lambda r: r.choice(_PINYIN_SUR))
            if len(words) == 1:
                return sur
            given = " ".join(words[1:])
            new_given = self._part(
                "py_given", given if attempt == 0 else f"{given}#{attempt}", _pick(_PINYIN_GIVEN)
            )
            return f"{sur} {new_given}"
        out = []
        for i, w in enumerate(words):
            if i == 0 and (w in EN_FIRST_NAMES or len(words) > 1):
                key = w if attempt == 0 else f"{w}#{attempt}"
                gender = en_gender(w)
                pool = (
                    _EN_MALE if gender == "male" else _EN_FEMALE if gender == "female" else EN_ANY
                )
                out.append(case_like(self._part("en_first", key, _pick(pool)), w))
            else:
                key = w if attempt == 0 or i < len(words) - 1 else f"{w}#{attempt}"
                out.append(case_like(self._part("en_last", key, _pick(EN_LAST)), w))
        return " ".join(out)

    def _zh_name(self, name: str, attempt: int) -> str:
        if len(name) == 2 and name[0] in "小老阿":
            if name[1] in ZH_COMMON_SURNAMES:
                return name[0] + self._part("zh_surname", name[1], _pick(_ZH_SURNAME_POOL))
            gender = zh_gender(name[1])
            return name[0] + self._part("zh_given1", name[1], _given_maker(1, gender))
        if len(name) == 2 and name[0] == name[1] and name[0] not in ZH_SURNAMES:
            new = self._part("zh_given1", name[0], _given_maker(1, zh_gender(name[0])))
            return new + new  # 婷婷 -> 丽丽
        surname, given = split_name(name)
        new_surname = self._part("zh_surname", surname, _pick(_ZH_SURNAME_POOL)) if surname else ""
        if not given:
            return new_surname
        key = given if attempt == 0 else f"{given}#{attempt}"
        new_given = self._part(
            f"zh_given{len(given)}", key, _given_maker(len(given), zh_gender(given))
        )
        return new_surname + new_given


def _pick(pool: tuple[str, ...]) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(pool)


def _given_maker(length: int, gender: str | None) -> Callable[[random.Random], str]:
    if gender == "male":
        pool: tuple[str, ...] = ZH_MALE_GIVEN
    elif gender == "female":
        pool = ZH_FEMALE_GIVEN
    else:
        pool = ZH_MALE_GIVEN + ZH_FEMALE_GIVEN
    sized = tuple(g for g in pool if len(g) == length) or pool
    return lambda rng: rng.choice(sized)
