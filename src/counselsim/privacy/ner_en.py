"""English names, street addresses, schools and organisations: dictionaries plus cues.

Capitalisation alone is never enough: a capitalised word is a name when it is in the
first-name dictionary (and not sentence-initial, not a calendar/virtue/city word) or when a
cue says so (my friend X, named X, Mr./Dr. X, X said). Schools and organisations need a
proper-name prefix before their suffix (Lincoln High School, Acme Corp.) or an employment
cue (works at Google). Nothing here logs text.
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
from counselsim.privacy.rules import EntityType, Span

_WORD = r"(?:Mc|Mac|O['’])?[A-Z][a-z]+(?:-[A-Za-z][a-z]+)?"  # Jean-Luc, Hye-jin
_WORD_RE = re.compile(rf"(?<![A-Za-z'’]){_WORD}(?![A-Za-z])")
_SENTENCE_END = set('.!?:;"“”\n')


def _span(text: str, start: int, end: int, etype: EntityType) -> Span:
    return Span(start=start, end=end, type=etype, text=text[start:end])


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
        and word not in _GENERIC_WORDS
        and not re.fullmatch(_ORG_SUFFIX + "|" + _SCHOOL_SUFFIX + "|" + _STREET, word)
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
    r"(?:best |close |old |childhood |new )?(?:friend|boyfriend|girlfriend|husband|wife|partner"
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

    Found by title (Mr./Dr./Coach X, Aunt X), cue (my friend X, named X, my name is X),
    the first-name dictionary (not sentence-initial unless a cue follows: ``Sarah said``),
    and pinyin surname + given name (Li Wei). A title stays in the text.

    Args:
        text: Text to scan.

    Returns:
        One span per name occurrence.
    """
    spans: list[Span] = []
    for m in _TITLE_RE.finditer(text):
        words = m.group("name").split(" ")
        if not _is_name_word(words[0]) and words[0] not in EN_CITIES:
            continue
        end = m.start("name") + len(words[0])
        if len(words) == 2 and _is_name_word(words[1]):
            end = m.end("name")
        spans.append(_span(text, m.start("name"), end, EntityType.NAME))
    for m in _FAMILY_TITLE_RE.finditer(text):
        if m.group("name") in EN_FIRST_NAMES and _is_name_word(m.group("name")):
            spans.append(_span(text, m.start("name"), m.end("name"), EntityType.NAME))
    for m in _CUE_RE.finditer(text):
        name = m.group("name")
        if name not in EN_NAME_STOPWORDS:
            end = _surname_after(text, m.end("name"), loose=True)
            spans.append(_span(text, m.start("name"), end, EntityType.NAME))
    for m in _RELATIONSHIP_CUE_RE.finditer(text):
        name = m.group("name")
        if name not in EN_NAME_STOPWORDS and name not in EN_CITIES and name not in _GENERIC_WORDS:
            end = _surname_after(text, m.end("name"), loose=True)
            spans.append(_span(text, m.start("name"), end, EntityType.NAME))
    for m in _WEAK_CUE_RE.finditer(text):
        if m.group("name") in EN_FIRST_NAMES and _is_name_word(m.group("name")):
            end = _surname_after(text, m.end("name"))
            spans.append(_span(text, m.start("name"), end, EntityType.NAME))
    for m in _WORD_RE.finditer(text):
        word = m.group()
        head = word.split("-")[0] if re.fullmatch(r"[A-Z][a-z]+-[A-Z][a-z]+", word) else word
        if head not in EN_FIRST_NAMES or word in EN_NAME_STOPWORDS:
            continue
        if _SPEECH_AFTER.match(text, m.end()):  # "Tyler said": a name, even an ambiguous one
            spans.append(_span(text, m.start(), m.end(), EntityType.NAME))
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
        spans.append(_span(text, m.start(), end, EntityType.NAME))
    for m in _PINYIN_NAME_RE.finditer(text):
        given = m.group("given")
        if given.lower() in _ENGLISH_LOOKALIKES or given in EN_NAME_STOPWORDS:
            continue
        spans.append(_span(text, m.start(), m.end(), EntityType.NAME))
    return spans


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

# --------------------------------------------------------------------------- addresses

_STREET_WORDS = (
    r"Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Way|Terrace|Circle|Parkway|Highway"
    r"|Square|Trail|Row|Crescent|Alley|Loop|Pike|Plaza|Close|Mews"
)
_STREET_ABBR = r"St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Ter|Cir|Pkwy|Hwy|Sq|Aly"
# A full street word takes no dot (so "117 Calloway Road." leaves the full stop), an
# abbreviation may (123 Main St.).
_STREET = rf"(?:(?:{_STREET_WORDS})\b|(?:{_STREET_ABBR})\b\.?)"
_UNIT_WORD = r"(?:Apt|Apartment|Unit|Suite|Ste|Room|Rm|Floor|Fl|Flat)"
_UNIT_NO = r"[A-Za-z0-9-]*\d[A-Za-z0-9-]*"
_UNIT = rf"(?:,?\s+(?:{_UNIT_WORD}\.?\s*#?\s*|#\s?){_UNIT_NO})"
# A unit may also come first: "Apartment 4A, 5085 Calloway Place", "#12 - 40 Elm St".
_UNIT_FIRST = rf"(?:(?:{_UNIT_WORD}\.?\s*#?\s*|#\s?){_UNIT_NO}(?:,\s*|\s+-\s+|\s+))"
_NUMBERED_STREET_RE = re.compile(
    rf"(?<![\w.#]){_UNIT_FIRST}?\d{{1,6}}[A-Za-z]?\s+"
    r"(?:[NSEW]\.?\s+|North\s+|South\s+|East\s+|West\s+)?"
    rf"(?:(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))\.?\s+){{1,4}}{_STREET}{_UNIT}?"
)
_NAMED_STREET_RE = re.compile(
    r"(?<![\w.])(?:[A-Z][a-z]+\s+){1,3}"
    r"(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Terrace|Parkway)\b"
    rf"{_UNIT}?"
)
_UNIT_RE = re.compile(
    r"(?<![\w])(?:Apt|Apartment|Suite|Ste)\.?\s*#?\s*[A-Za-z0-9-]*\d[A-Za-z0-9-]*\b"
)
_PO_BOX_RE = re.compile(r"(?<![\w])P\.?\s?O\.?\s*Box\s+\d+\b", re.IGNORECASE)
_STATES = words(
    """
    AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM
    NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC
    """
)
_ZIP_RE = re.compile(r"\b(?:" + "|".join(_STATES) + r")\s+(?P<zip>\d{5}(?:-\d{4})?)(?!\d)")
_GENERIC_LEAD = frozenset(
    words(
        """
        The A An My Our Your His Her Their This That Every Some Any On In At To From By Of And Or
        But Then When So Main
        """
    )
)


def find_en_addresses(text: str) -> list[Span]:
    """Street addresses (123 Main Street, Apt 4B), named streets (Maple Avenue), PO boxes
    and ZIP codes after a state abbreviation. A bare city or state survives.

    Args:
        text: Text to scan.

    Returns:
        One span per address.
    """
    spans = [_span(text, *m.span(), EntityType.ADDRESS) for m in _NUMBERED_STREET_RE.finditer(text)]
    for m in _NAMED_STREET_RE.finditer(text):
        start = m.start()
        words = m.group().split()
        while len(words) > 1 and words[0] in _GENERIC_LEAD - {"Main"}:
            start = text.index(words[1], start + len(words[0]))
            words.pop(0)
        if len(words) >= 2 and words[0] not in EN_NAME_STOPWORDS - EN_FIRST_NAMES:
            spans.append(_span(text, start, m.end(), EntityType.ADDRESS))
    for rx in (_UNIT_RE, _PO_BOX_RE):
        spans += [_span(text, *m.span(), EntityType.ADDRESS) for m in rx.finditer(text)]
    spans += [_span(text, *m.span("zip"), EntityType.ADDRESS) for m in _ZIP_RE.finditer(text)]
    return spans


# --------------------------------------------------------------------------- schools / orgs

_LOW = "a-zà-öø-ÿ"  # lower-case letters, accented ones included (Diné, José)
_PROPER = rf"(?:(?:Mc|O['’])?[A-Z][{_LOW}]+(?:['’]s)?|[A-Z]\.|St\.|[A-Z]{{2,5}})"
_SCHOOL_SUFFIX = (
    r"(?:University|College|Community College|High School|Middle School|Junior High(?: School)?"
    r"|Elementary School|Elementary|Primary School|Secondary School|Grammar School|Academy"
    r"|Institute of Technology|Institute|School of [A-Z][a-z]+|School|Prep|Kindergarten"
    r"|High(?! [a-z]*[Ss]chool))"
)
_ORG_SUFFIX = (
    r"(?:Inc\.?|Incorporated|Corp\.?|Corporation|LLC|L\.L\.C\.|Ltd\.?|Limited|Co\.|Company"
    r"|Group|Bank|Hospital|Clinic|Medical Center|Health|Foundation|Associates|Partners"
    r"|Technologies|Systems|Solutions|Labs|Consulting|Insurance|Pharmaceuticals|Capital"
    r"|Holdings|Industries|Enterprises|Agency|Studios|Motors|Airlines|Bakery|Cafe|Café|Restaurant"
    r"|LLP|PLLC|LP|PLC|P\.C\.|GmbH|AG|Traders|Trading|Logistics|Media|Publishing|Pharmacy"
    r"|Credit Union|Law Firm|Law Group|Brothers|Bros\.|Construction|Manufacturing|Electric"
    r"|Energy|Foods|Markets?|Supermarket|Realty|Properties|Ventures|Networks|Software|Games"
    r"|Entertainment|Productions|Outfitters|Apparel|Pharma|Biotech|Analytics|Dynamics)"
)
_SUFFIXED_RE = re.compile(
    rf"(?<![\w])(?P<prefix>{_PROPER}(?:\s+(?:&\s+|of\s+|and\s+)?{_PROPER}){{0,4}})\s+"
    rf"(?:(?P<school>{_SCHOOL_SUFFIX})|(?P<org>{_ORG_SUFFIX}))(?![A-Za-z])"
)
_UNIVERSITY_OF_RE = re.compile(
    r"(?<![\w])(?:(?:[A-Z][a-z]+\s+)?University|College|Institute) of (?:the )?"
    r"[A-Z][a-z]+(?:\s+(?:at\s+)?[A-Z][a-z]+){0,3}"
)
# "<X> Hospital of <Place>", "Bank of <X>": an organisation named after a place.
_ORG_OF_RE = re.compile(
    r"(?<![\w])(?:(?:[A-Z][\w'’]+|St\.)\s+){0,3}(?:Hospital|Medical Center|Health System|Clinic"
    r"|Bank|Church|Museum|Library|Department|Bureau|Ministry|Council|Board) of (?:the )?"
    r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,3}"
)
# "a sophomore at X", "graduated from X", "teaches at X": a school, whatever its name.
_SCHOOL_CUE_RE = re.compile(
    r"\b(?:(?:freshman|sophomore|junior|senior|student|undergrad|undergraduate|grad student"
    r"|enrolled|teach(?:es|ing)?|taught|transferred|studies|studied|studying|classes)\s+(?:at|to)"
    r"|graduated from|graduating from|dropped out of|expelled from|suspended from"
    r"|attend(?:s|ed|ing)?)\s+(?:the\s+)?"
    rf"(?P<school>{_PROPER}(?:\s+(?:of\s+(?:the\s+)?)?{_PROPER}){{0,3}})"
)
_DETERMINERS = frozenset(
    words("The A An My Our Your His Her Their This That At In To From For By With And Or But")
)
_FAMOUS_SCHOOLS_RE = re.compile(
    r"(?<![\w])(?:MIT|UCLA|NYU|USC|UCSD|UCSB|UC Berkeley|CMU|Caltech|Harvard|Stanford|Yale"
    r"|Princeton|Berkeley|Cornell|Duke|Tsinghua|Peking University)(?![\w])"
)
_GENERIC_WORDS = frozenset(
    words(
        """
        The A An My Our Your His Her Their This That These Those Every Some Any Each Another Other
        Community State High Middle Elementary Public Private Medical Law Business Art Arts
        Graduate Catholic Christian Junior Senior Technical Boarding Grammar Primary Secondary
        Sunday Summer Night Nursing Dental Film Music Language Driving Online Local New Old Big
        Best Small Good General Memorial Regional County City National International First Mental
        Psychiatric Children's Women's University College School Hospital Bank Group Company Tech
        Health Care I We You He She It They Then When After Before Since Because So And But Or At
        In On For Counselor Client Therapist Mom Dad
        """
    )
)
_EMPLOY_RE = re.compile(
    r"\b(?:(?:[Ww]ork(?:s|ed|ing)?|[Jj]obs?|[Ee]mployed|[Hh]ired|[Ii]nterview(?:s|ed|ing)?"
    r"|[Qq]uit my job|[Ss]tarted)\s+(?:at|for|by)"
    r"|(?:[Ll]aid off|[Ff]ired|[Ll]et go|[Rr]esigned|[Qq]uit)\s+(?:from|by)"
    r"|(?:[Ss]hifts?|[Tt]eam|[Dd]epartment|[Pp]osition|[Cc]areer|[Tt]reated|[Hh]ospitali[sz]ed"
    r"|[Mm]anager|[Cc]ashier|[Ee]ngineer|[Aa]nalyst|[Aa]ccountant|[Cc]lerk|[Nn]urse"
    r"|[Ss]upervisor|[Dd]octors?|[Tt]herapists?|[Pp]sychiatrists?|[Pp]sychologists?"
    r"|[Cc]ounsell?ors?|[Ss]ocial worker|[Pp]hysicians?|[Ss]pecialists?|[Pp]ediatricians?"
    r"|[Ss]urgeons?|[Ss]taff|[Ee]mployees?|[Cc]oworkers?|[Cc]olleagues?)\s+at"
    r"|(?:[Ii]ntern(?:s|ed|ing|ship)?|[Vv]olunteer(?:s|ed|ing)?|[Cc]ontract(?:s|ed|ing)?)"
    r"\s+(?:at|for|with))"
    r"\s+(?:the\s+)?"
    r"(?P<org>[A-Z][\w&'’-]*(?:\.(?=[A-Za-z]))?(?:\s+(?:&\s+)?[A-Z][\w&'’-]*){0,3}"
    r"(?:\s+(?:Inc|Corp|Co|Ltd)\.)?)"
)


# Hospitals and clinics named without a company suffix, right after "at/from/in/into/to"
# (no article in between): Northfield General, Ashby Memorial, St. Brigid's. Generic uses
# ("the hospital", "General practice", "Memorial Day", "the Lincoln Memorial") have no cue
# + proper-name prefix, or continue with another capitalised word.
_HEALTH_CUE = r"(?<![A-Za-z])(?:[Aa]t|[Ff]rom|[Ii]n|[Ii]nto|[Tt]o|[Oo]ut of)\s+"
_HEALTH_ORG_RE = re.compile(
    _HEALTH_CUE + rf"(?P<org>(?P<prefix>{_PROPER}(?:\s+{_PROPER}){{0,2}})\s+(?:General|Memorial)"
    r"|(?:St\.?|Saint)\s+(?:Mc|O['’])?[A-Z][a-z]+['’]s)"
    r"(?![\w'’-])(?!\s+(?:[A-Z]|of\b))"
)
_NOT_HEALTH_PREFIX = frozenset(
    words(
        """
        Attorney Surgeon Secretary Inspector Governor Consul Solicitor Postmaster Adjutant Major
        Brigadier Lieutenant Director Auditor Comptroller Paymaster Quartermaster Vicar
        Lincoln Washington Jefferson Veterans War
        """
    )
)


# Capitalised words after "work at/for" that are no employer.
_EMPLOYER_STOP = frozenset(
    words(
        """
        Mom Mum Dad Mother Father Grandma Grandpa Aunt Uncle God Christmas Easter Thanksgiving
        Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
        June July August September October November December I Home Night Work School ER
        ICU Urgent Emergency PTSD ADHD OCD COVID Covid
        """
    )
)


def _trim_prefix(text: str, start: int, prefix: str) -> tuple[int, list[str]] | None:
    """Drop leading generic words of a name prefix; None when nothing proper is left."""
    words = prefix.split()
    offset = start
    while words and words[0] in _GENERIC_WORDS:
        offset = text.index(words[1], offset + len(words[0])) if len(words) > 1 else -1
        words.pop(0)
    if not words or all(w in _GENERIC_WORDS or w in ("&", "of", "and") for w in words):
        return None
    return offset, words


def find_en_institutions(text: str) -> list[Span]:
    """Schools (Lincoln High School, University of Michigan, MIT) and organisations (Acme
    Corp., Mercy Hospital; after "work(s) at/for": Google, Home Depot).

    Args:
        text: Text to scan.

    Returns:
        One span per school or organisation.
    """
    spans: list[Span] = []
    for m in _SUFFIXED_RE.finditer(text):
        trimmed = _trim_prefix(text, m.start("prefix"), m.group("prefix"))
        if trimmed is None:
            continue
        start, _ = trimmed
        etype = EntityType.SCHOOL if m.group("school") else EntityType.ORG
        spans.append(_span(text, start, m.end(), etype))
    for rx in (_UNIVERSITY_OF_RE, _FAMOUS_SCHOOLS_RE):
        spans += [_span(text, *m.span(), EntityType.SCHOOL) for m in rx.finditer(text)]
    for m in _SCHOOL_CUE_RE.finditer(text):
        school = m.group("school")
        first = school.split()[0]
        if first in EN_NAME_STOPWORDS or (first in EN_CITIES and " " not in school):
            continue
        if first in _GENERIC_WORDS or first in _EMPLOYER_STOP or first in EN_FIRST_NAMES:
            continue  # "graduated from High School", "taught at Home", "attends Sarah's"
        spans.append(_span(text, m.start("school"), m.end("school"), EntityType.SCHOOL))
    for m in _ORG_OF_RE.finditer(text):  # the words before "of" belong to the name
        start = m.start()
        while (lead := re.match(r"(\S+)\s+", text[start : m.end()])) and lead[1] in _DETERMINERS:
            start += lead.end()
        spans.append(_span(text, start, m.end(), EntityType.ORG))
    for m in _HEALTH_ORG_RE.finditer(text):
        if m.group("prefix"):
            prefix = m.group("prefix").split()
            if prefix[0] in _GENERIC_WORDS or any(w in _NOT_HEALTH_PREFIX for w in prefix):
                continue
        spans.append(_span(text, m.start("org"), m.end("org"), EntityType.ORG))
    for m in _EMPLOY_RE.finditer(text):
        org = m.group("org").rstrip(".,;:!?'’")
        first = org.split()[0]
        if org in _EMPLOYER_STOP or first in _EMPLOYER_STOP - {"Home"}:
            continue  # works at Home Depot, but not works at Home
        if first in EN_CITIES or first in _GENERIC_WORDS:
            continue
        if first in EN_FIRST_NAMES or first in ("Mr", "Mrs", "Ms", "Dr", "Mr.", "Mrs.", "Dr."):
            continue  # works for Sarah: a person, found by the name rules
        start = m.start("org")
        spans.append(_span(text, start, start + len(org), EntityType.ORG))
    return spans


EN_DETECTORS = (find_en_names, find_en_addresses, find_en_institutions)
