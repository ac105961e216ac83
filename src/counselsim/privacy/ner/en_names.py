"""English person names: dictionaries plus cues.

Capitalisation alone is never enough: a capitalised word is a name when it is in the
first-name dictionary (and not sentence-initial, not a calendar/virtue/city word) or when a
cue says so (my friend X, my little brother X, named X, Mr./Dr. X, X said, I met X Y).
Nothing here logs text.
"""

from __future__ import annotations

import re

from counselsim.privacy.lexicon import (
    EN_AMBIGUOUS_NAMES,
    EN_CITIES,
    EN_FIRST_NAMES,
    EN_LAST_NAMES,
    EN_NAME_STOPWORDS,
    EN_NOT_ALONE_NAMES,
    PINYIN_SURNAMES,
    words,
)
from counselsim.privacy.ner.en_places import GENERIC_WORDS, ORG_SUFFIX, SCHOOL_SUFFIX, STREET
from counselsim.privacy.spans import EntityType, Span, make_span

_WORD = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?"  # Jean-Luc, Hye-jin
_WORD_RE = re.compile(rf"(?<![A-Za-z'’]){_WORD}(?![A-Za-z])")
_SENTENCE_END = set('.!?:;"“”\n')


def sentence_initial(text: str, pos: int) -> bool:
    """Whether ``text[pos]`` starts a sentence (or the text, or a quoted line)."""
    i = pos - 1
    while i >= 0 and text[i] in " \t'‘(\"“*-–—":
        if text[i] in '"“(':
            return True
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def _is_name_word(word: str) -> bool:
    """A dictionary name that may stand without a cue (at least mid-sentence)."""
    return (
        word not in EN_NAME_STOPWORDS and word not in EN_NOT_ALONE_NAMES and word not in EN_CITIES
    )


_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|to|from|at|near|around|outside|visit|visited|visiting|moved|back|of)\s+)$"
)


def _surname_after(text: str, end: int, loose: bool = False) -> int:
    """Extend a first name over a following last name (``Sarah Johnson``); with ``loose``
    (after a strong cue such as "my friend"), over any capitalised word that is no
    calendar, city or generic word (``Oluwaseun Adeyemi``)."""
    m = re.compile(rf" {_WORD}(?![A-Za-z'’])").match(text, end)
    word = m.group().strip() if m else ""
    if m and word in EN_LAST_NAMES and word not in EN_NAME_STOPWORDS:
        return m.end()
    if (
        m
        and loose
        and word not in EN_NAME_STOPWORDS
        and word not in EN_CITIES
        and word not in GENERIC_WORDS
        and not re.fullmatch(ORG_SUFFIX + "|" + SCHOOL_SUFFIX + "|" + STREET, word)
    ):
        return m.end()
    if m and re.fullmatch(r" (?:Mc|Mac|O['’])[A-Z][a-z]+", m.group()):
        return m.end()
    return end


# --------------------------------------------------------------------------- names

_TITLE_RE = re.compile(
    rf"\b(?P<title>(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?|Miss|Professor|Coach|Officer|Detective|Pastor"
    rf"|Principal|Judge|Rabbi|Reverend|Rev\.)\s+(?P<name>{_WORD}(?: {_WORD})?)"
)
_FAMILY_TITLE_RE = re.compile(
    rf"\b(?:Aunt|Auntie|Uncle|Grandma|Grandpa|Granny|Cousin|Sister|Brother)\s+(?P<name>{_WORD})"
)
_RELATIONS = (
    r"(?:best |close |old |childhood |new |little |big |older |younger |baby |twin |kid |half-?)?"
    r"(?:friend|boyfriend|girlfriend|husband|wife|partner"
    r"|fianc[eé]e?|boss|manager|supervisor|coworker|co-worker|colleague|roommate|flatmate"
    r"|housemate|brother|sister|son|daughter|cousin|neighbou?r|teacher|professor|therapist"
    r"|counsel+or|tutor|coach|ex|ex-boyfriend|ex-girlfriend|ex-husband|ex-wife|uncle|aunt"
    r"|nephew|niece|stepdad|stepmom|stepfather|stepmother|classmate|mentor|doctor|pastor"
    r"|buddy|crush|date|kid|child|baby|grandson|granddaughter|sibling|twin)"
)
_CUE_RE = re.compile(
    rf"\b(?:(?:[Mm]y|[Hh]is|[Hh]er|[Oo]ur|[Tt]heir|[Aa]) {_RELATIONS},? "
    rf"|(?:named|called|nicknamed) |(?:[Nn]ame is|[Nn]ame's|[Nn]ame was) )"
    rf"(?P<name>{_WORD})"
)
# Verbs of a relationship with a person: "I broke up with Keanu", "she is dating Oluwaseun".
_RELATIONSHIP_CUE_RE = re.compile(
    r"\b(?:broke up with|break(?:ing)? up with|split up with|dating|dated|divorced|divorcing"
    r"|married to|engaged to|went out with|going out with|hooked up with|cheated on me with"
    r"|moved in with|fell in love with|in love with|fell out with|stopped talking to"
    r"|(?:fight|fought|argued|arguing|argument) with)\s+"
    rf"(?P<name>{_WORD})(?![A-Za-z'’-])"
)
# Verbs of meeting or talking to someone, before a first and last name ("I met Tomasz
# Wierzbicki"); a lone capitalised word after them is left to the dictionary.
_CONTACT_CUE_RE = re.compile(
    r"\b(?:met|meet|meeting|know|knew|told|tell|asked|texted|called|visited|hugged|trust"
    r"|trusted|blame|blamed|miss|missed)\s+"
    rf"(?P<name>{_WORD})(?= {_WORD})"
)
_WEAK_CUE_RE = re.compile(rf"\b(?:I'm|I’m|I am|[Tt]his is|[Ii]t's|[Ii]t’s) (?P<name>{_WORD})")
_SPEECH_AFTER = re.compile(
    r" (?:said|says|told|tells|asked|asks|texted|called|yelled|replied|screamed|whispered)\b"
)
_CONFIRM_AFTER = re.compile(
    r"(?:['’]s\b| (?:thinks|thought|wants|wanted|and I|is my|was my|left|came|keeps|kept)\b|:)"
)
_PINYIN_SYL = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uan|uai|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui"
    r"|ue|er|a|e|i|o|u|v)"
)
_PINYIN_NAME_RE = re.compile(
    r"\b(?P<sur>" + "|".join(sorted(PINYIN_SURNAMES, key=len, reverse=True)) + r") "
    rf"(?P<given>[A-Z]{_PINYIN_SYL}(?:-?{_PINYIN_SYL})?)\b"
)


def find_en_names(text: str) -> list[Span]:
    """English (and romanised Chinese) person names.

    Found by title (Mr./Dr./Coach X, Aunt X), cue (my friend X, my little brother X, named
    X, my name is X, I met X Y), the first-name dictionary (not sentence-initial unless a
    cue follows: ``Sarah said``), and pinyin surname + given name (Li Wei). A title stays
    in the text.

    Args:
        text: Text to scan.

    Returns:
        One span per name occurrence.
    """
    return [
        *_titled_names(text),
        *_cued_names(text),
        *_dictionary_names(text),
        *_pinyin_names(text),
    ]


def _titled_names(text: str) -> list[Span]:
    """The name after a title (Dr. Patel, Coach Rivera Lopez) or a family title (Aunt May)."""
    spans = []
    for m in _TITLE_RE.finditer(text):
        parts = m.group("name").split(" ")
        if not _is_name_word(parts[0]) and parts[0] not in EN_CITIES:
            continue
        end = m.start("name") + len(parts[0])
        if len(parts) == 2 and _is_name_word(parts[1]):
            end = m.end("name")
        spans.append(make_span(text, m.start("name"), end, EntityType.NAME))
    for m in _FAMILY_TITLE_RE.finditer(text):
        if m.group("name") in EN_FIRST_NAMES and _is_name_word(m.group("name")):
            spans.append(make_span(text, *m.span("name"), EntityType.NAME))
    return spans


def _cued_names(text: str) -> list[Span]:
    """A capitalised word the context makes a name, whatever the dictionary says: after a
    relation (my friend X, my little brother Kenji), naming (named X, my name is X), a
    relationship verb (broke up with X), "I'm X" (dictionary names only), or a contact verb
    followed by a first and last name (I met Tomasz Wierzbicki)."""
    spans = []
    for rx in (_CUE_RE, _RELATIONSHIP_CUE_RE):
        for m in rx.finditer(text):
            name = m.group("name")
            if name in EN_NAME_STOPWORDS or (
                rx is _RELATIONSHIP_CUE_RE and (name in EN_CITIES or name in GENERIC_WORDS)
            ):
                continue
            end = _surname_after(text, m.end("name"), loose=True)
            spans.append(make_span(text, m.start("name"), end, EntityType.NAME))
    for m in _WEAK_CUE_RE.finditer(text):
        if m.group("name") in EN_FIRST_NAMES and _is_name_word(m.group("name")):
            end = _surname_after(text, m.end("name"))
            spans.append(make_span(text, m.start("name"), end, EntityType.NAME))
    for m in _CONTACT_CUE_RE.finditer(text):
        first = m.group("name")
        if first in EN_NAME_STOPWORDS or first in EN_CITIES or first in GENERIC_WORDS:
            continue
        end = _surname_after(text, m.end("name"), loose=True)
        if end > m.end("name"):  # a first and a last name, not a lone capital
            spans.append(make_span(text, m.start("name"), end, EntityType.NAME))
    return spans


def _dictionary_names(text: str) -> list[Span]:
    """First names from the dictionary (with a last name after them when there is one);
    ambiguous ones (Hope, Will) and sentence-initial ones need a confirming word after."""
    spans = []
    for m in _WORD_RE.finditer(text):
        word = m.group()
        head = word.split("-")[0] if re.fullmatch(r"[A-Z][a-z]+-[A-Z][a-z]+", word) else word
        if head not in EN_FIRST_NAMES or word in EN_NAME_STOPWORDS:
            continue
        if _SPEECH_AFTER.match(text, m.end()):  # "Tyler said": a name, even an ambiguous one
            spans.append(make_span(text, m.start(), m.end(), EntityType.NAME))
            continue
        if not _is_name_word(word):
            continue
        end = _surname_after(text, m.end())
        initial = sentence_initial(text, m.start()) and end == m.end()
        if word in EN_AMBIGUOUS_NAMES and end == m.end():
            if initial or _PLACE_BEFORE.search(text, 0, m.start()):
                continue  # "Hope is hard", "grew up in Austin"
        elif initial and not _CONFIRM_AFTER.match(text, m.end()):
            continue  # "Sarah's mom" counts at a sentence start, a lone "Sarah" not
        spans.append(make_span(text, m.start(), end, EntityType.NAME))
    return spans


def _pinyin_names(text: str) -> list[Span]:
    """A pinyin surname and given name (Li Wei, Zhang Xiaoming), not English look-alikes."""
    return [
        make_span(text, *m.span(), EntityType.NAME)
        for m in _PINYIN_NAME_RE.finditer(text)
        if m.group("given").lower() not in _ENGLISH_LOOKALIKES
        and m.group("given") not in EN_NAME_STOPWORDS
    ]


# Short English words that also parse as pinyin ("He Said" never, but "Ma Man" might).
_ENGLISH_LOOKALIKES = frozenset(
    words(
        """
        a an and are as be can do go he hi i in is it me my no of on or so to up we you she her
        his him man men ten hen den pan fan ban tan can ran van wan lie tie die pie hang sang bang
        long song tong ring sing king ping pong bong dong gong wing zing chin shin thin tin pin
        bin sun fun gun run bun nun lou sue joe hue bye say
        """
    )
)
