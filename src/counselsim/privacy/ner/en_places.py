"""English street addresses, schools and organisations: patterns plus cues.

Schools and organisations need a proper-name prefix before their suffix (Lincoln High
School, Acme Corp., Harbourview Community Centre) or an employment or school cue (works at
Google, a junior at X). A bare city or state survives. Nothing here logs text.
"""

from __future__ import annotations

import re

from counselsim.privacy.lexicon import EN_CITIES, EN_FIRST_NAMES, EN_NAME_STOPWORDS, words
from counselsim.privacy.spans import EntityType, Span, make_span

# --------------------------------------------------------------------------- addresses

_STREET_WORDS = (
    r"Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Way|Terrace|Circle|Parkway|Highway"
    r"|Square|Trail|Row|Crescent|Alley|Loop|Pike|Plaza|Close|Mews"
)
_STREET_ABBR = r"St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Ter|Cir|Pkwy|Hwy|Sq|Aly"
# A full street word takes no dot (so "117 Calloway Road." leaves the full stop), an
# abbreviation may (123 Main St.).
STREET = rf"(?:(?:{_STREET_WORDS})\b|(?:{_STREET_ABBR})\b\.?)"
_UNIT_WORD = r"(?:Apt|Apartment|Unit|Suite|Ste|Room|Rm|Floor|Fl|Flat)"
_UNIT_NO = r"[A-Za-z0-9-]*\d[A-Za-z0-9-]*"
_UNIT = rf"(?:,?\s+(?:{_UNIT_WORD}\.?\s*#?\s*|#\s?){_UNIT_NO})"
# A unit may also come first: "Apartment 4A, 5085 Calloway Place", "#12 - 40 Elm St".
_UNIT_FIRST = rf"(?:(?:{_UNIT_WORD}\.?\s*#?\s*|#\s?){_UNIT_NO}(?:,\s*|\s+-\s+|\s+))"
_NUMBERED_STREET_RE = re.compile(
    rf"(?<![\w.#]){_UNIT_FIRST}?\d{{1,6}}[A-Za-z]?\s+"
    r"(?:[NSEW]\.?\s+|North\s+|South\s+|East\s+|West\s+)?"
    rf"(?:(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))\.?\s+){{1,4}}{STREET}{_UNIT}?"
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
    spans = [
        make_span(text, *m.span(), EntityType.ADDRESS) for m in _NUMBERED_STREET_RE.finditer(text)
    ]
    for m in _NAMED_STREET_RE.finditer(text):
        start = m.start()
        words = m.group().split()
        while len(words) > 1 and words[0] in _GENERIC_LEAD - {"Main"}:
            start = text.index(words[1], start + len(words[0]))
            words.pop(0)
        if len(words) >= 2 and words[0] not in EN_NAME_STOPWORDS - EN_FIRST_NAMES:
            spans.append(make_span(text, start, m.end(), EntityType.ADDRESS))
    for rx in (_UNIT_RE, _PO_BOX_RE):
        spans += [make_span(text, *m.span(), EntityType.ADDRESS) for m in rx.finditer(text)]
    spans += [make_span(text, *m.span("zip"), EntityType.ADDRESS) for m in _ZIP_RE.finditer(text)]
    return spans


# --------------------------------------------------------------------------- schools / orgs

_LOW = "a-zà-öø-ÿ"  # lower-case letters, accented ones included (Diné, José)
_PROPER = rf"(?:(?:Mc|O['’])?[A-Z][{_LOW}]+(?:['’]s)?|[A-Z]\.|St\.|[A-Z]{{2,5}})"
SCHOOL_SUFFIX = (
    r"(?:University|College|Community College|High School|Middle School|Junior High(?: School)?"
    r"|Elementary School|Elementary|Primary School|Secondary School|Grammar School|Academy"
    r"|Institute of Technology|Institute|School of [A-Z][a-z]+|School|Prep|Kindergarten"
    r"|High(?! [a-z]*[Ss]chool))"
)
ORG_SUFFIX = (
    r"(?:Inc\.?|Incorporated|Corp\.?|Corporation|LLC|L\.L\.C\.|Ltd\.?|Limited|Co\.|Company"
    r"|Group|Bank|Hospital|Clinic|Medical Center|Health|Foundation|Associates|Partners"
    r"|Technologies|Systems|Solutions|Labs|Consulting|Insurance|Pharmaceuticals|Capital"
    r"|Holdings|Industries|Enterprises|Agency|Studios|Motors|Airlines|Bakery|Cafe|Café|Restaurant"
    r"|LLP|PLLC|LP|PLC|P\.C\.|GmbH|AG|Traders|Trading|Logistics|Media|Publishing|Pharmacy"
    r"|Credit Union|Law Firm|Law Group|Brothers|Bros\.|Construction|Manufacturing|Electric"
    r"|Energy|Foods|Markets?|Supermarket|Realty|Properties|Ventures|Networks|Software|Games"
    r"|Entertainment|Productions|Outfitters|Apparel|Pharma|Biotech|Analytics|Dynamics"
    r"|Cent(?:er|re)|Services)"
)
_SUFFIXED_RE = re.compile(
    rf"(?<![\w])(?P<prefix>{_PROPER}(?:\s+(?:&\s+|of\s+|and\s+)?{_PROPER}){{0,4}})\s+"
    rf"(?:(?P<school>{SCHOOL_SUFFIX})|(?P<org>{ORG_SUFFIX}))(?![A-Za-z])"
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
GENERIC_WORDS = frozenset(
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
    while words and words[0] in GENERIC_WORDS:
        offset = text.index(words[1], offset + len(words[0])) if len(words) > 1 else -1
        words.pop(0)
    if not words or all(w in GENERIC_WORDS or w in ("&", "of", "and") for w in words):
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
        spans.append(make_span(text, start, m.end(), etype))
    for rx in (_UNIVERSITY_OF_RE, _FAMOUS_SCHOOLS_RE):
        spans += [make_span(text, *m.span(), EntityType.SCHOOL) for m in rx.finditer(text)]
    for m in _SCHOOL_CUE_RE.finditer(text):
        school = m.group("school")
        first = school.split()[0]
        if first in EN_NAME_STOPWORDS or (first in EN_CITIES and " " not in school):
            continue
        if first in GENERIC_WORDS or first in _EMPLOYER_STOP or first in EN_FIRST_NAMES:
            continue  # "graduated from High School", "taught at Home", "attends Sarah's"
        spans.append(make_span(text, m.start("school"), m.end("school"), EntityType.SCHOOL))
    for m in _ORG_OF_RE.finditer(text):  # the words before "of" belong to the name
        start = m.start()
        while (lead := re.match(r"(\S+)\s+", text[start : m.end()])) and lead[1] in _DETERMINERS:
            start += lead.end()
        spans.append(make_span(text, start, m.end(), EntityType.ORG))
    for m in _HEALTH_ORG_RE.finditer(text):
        if m.group("prefix"):
            prefix = m.group("prefix").split()
            if prefix[0] in GENERIC_WORDS or any(w in _NOT_HEALTH_PREFIX for w in prefix):
                continue
        spans.append(make_span(text, m.start("org"), m.end("org"), EntityType.ORG))
    for m in _EMPLOY_RE.finditer(text):
        org = m.group("org").rstrip(".,;:!?'’")
        first = org.split()[0]
        if org in _EMPLOYER_STOP or first in _EMPLOYER_STOP - {"Home"}:
            continue  # works at Home Depot, but not works at Home
        if first in EN_CITIES or first in GENERIC_WORDS:
            continue
        if first in EN_FIRST_NAMES or first in ("Mr", "Mrs", "Ms", "Dr", "Mr.", "Mrs.", "Dr."):
            continue  # works for Sarah: a person, found by the name rules
        start = m.start("org")
        spans.append(make_span(text, start, start + len(org), EntityType.ORG))
    return spans
