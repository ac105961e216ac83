"""The safety protocol replies: every variant in every locale asks directly about suicide or
self-harm and offers crisis resources (by the evidence detectors), picked by seed."""

from __future__ import annotations

import pytest

from counselsim.critic.evidence import detect_turn
from counselsim.critic.evidence.safety import SafetyFile, load_safety, render, safety_reply
from counselsim.errors import ConfigError
from counselsim.labels import Role
from counselsim.records import DialogueTurn

CUES = {
    "zh": "如果自己消失了，父母是不是就不用为我操心了。",
    "en": "Everyone would be better off without me.",
}
CASES = [
    (lang, locale, n)
    for lang in ("zh", "en")
    for locale in load_safety(lang).locales
    for n in range(len(load_safety(lang).variants))
]


@pytest.mark.parametrize(("lang", "locale", "variant"), CASES)
def test_every_variant_asks_directly_and_offers_resources(
    lang: str, locale: str, variant: int
) -> None:
    reply = render(load_safety(lang), variant, locale)
    history = [DialogueTurn(role=Role.CLIENT, text=CUES[lang])]
    found = {e.detector for e in detect_turn(reply.text, Role.COUNSELOR, history, lang)}
    assert {"risk_question", "crisis_resource"} <= found
    # the protocol reply is no failure of its own
    assert not found & {"premature_advice", "minimizing", "medication_advice", "diagnosis"}
    assert "$" not in reply.text


@pytest.mark.parametrize(
    ("lang", "locale", "numbers"),
    [
        ("en", "US", ["988", "911"]),
        ("en", "gb", ["116 123", "999"]),
        ("en", "IE", ["116 123", "112"]),
        ("zh", None, ["12356", "010-82951332", "120"]),
        ("zh", "US", ["988"]),
        ("en", "other", ["your local emergency number"]),
    ],
)
def test_locales_name_their_resources(lang: str, locale: str | None, numbers: list[str]) -> None:
    reply = safety_reply(lang, seed=3, locale=locale)
    for number in numbers:
        assert number in reply.text


def test_the_seed_picks_the_variant_deterministically() -> None:
    assert safety_reply("en", 7) == safety_reply("en", 7)
    picked = {safety_reply("zh", seed).variant for seed in range(40)}
    assert picked == set(range(len(load_safety("zh").variants)))


def test_unknown_locale_and_language_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="locale 'FR'"):
        safety_reply("en", 1, locale="FR")
    with pytest.raises(ConfigError, match="language 'de'"):
        safety_reply("de", 1)


def test_a_variant_without_its_placeholders_is_rejected() -> None:
    data = load_safety("en").model_dump()
    data["variants"] = ["Are you thinking about suicide? Call $resources."]
    with pytest.raises(ValueError, match="exactly"):
        SafetyFile.model_validate(data)
    data = load_safety("en").model_dump()
    data["default_locale"] = "XX"
    with pytest.raises(ValueError, match="default_locale"):
        SafetyFile.model_validate(data)
