"""Form checks (form, not content) and the check-and-retry loop."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from counselsim.config import Sampling
from counselsim.critic.form import Flag, check_turn, containment, form_check, similarity
from counselsim.critic.loop import Checked, Rejected, generate_checked
from counselsim.critic.verdict import Finding, Verdict, rejections, undecided
from counselsim.labels import Emotion, Role, Strategy
from counselsim.records import ClientTurn, CounselorTurn, PrincipleCheck
from tests.conftest import counselor_turn

C, K = Role.COUNSELOR, Role.CLIENT


def cturn(i: int, text: str) -> CounselorTurn:
    return counselor_turn(i, text)


def kturn(i: int, text: str) -> ClientTurn:
    return ClientTurn(index=i, text=text, emotion=[Emotion.ANXIETY])


ZH_OPEN = "你好，今天想聊些什么呢？"
ZH_CLIENT = "最近快要期末考试了，我每天晚上都睡不着觉，一看书就心慌。"
EN_OPEN = "Hi, what brings you here today?"
EN_CLIENT = "I've been working overtime for months and I just can't switch off at night anymore."
ZH_HISTORY = [cturn(0, ZH_OPEN), kturn(1, ZH_CLIENT)]
EN_HISTORY = [cturn(0, EN_OPEN), kturn(1, EN_CLIENT)]


# --- clean turns --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,role,history",
    [
        (ZH_OPEN, C, []),
        (EN_OPEN, C, []),
        ("听起来考试让你压力很大，睡不着的时候你一般会做些什么？", C, ZH_HISTORY),
        (
            "Months of overtime and nights you can't switch off: that sounds exhausting.",
            C,
            EN_HISTORY,
        ),
        ("嗯，我也不知道该从哪里说起。", K, [cturn(0, ZH_OPEN)]),
        ("Honestly, I'm not sure where to start.", K, [cturn(0, EN_OPEN)]),
        ("嗯嗯", K, []),  # two characters is short but not empty
    ],
)
def test_clean_turns_pass(text, role, history):
    assert check_turn(text, role, history) == []


# --- EMPTY ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "嗯", " a "])
def test_empty(text):
    # an empty turn short-circuits: no other check is reported for it
    assert check_turn(text, C, ZH_HISTORY) == [Flag.EMPTY]


# --- SPEAKER_LABEL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,role",
    [
        ("咨询师：你好，最近怎么样？", C),
        ("我还好。\n来访者：其实我很焦虑。", K),
        ("【来访者】：我不想说。", K),
        ("Client: I feel tired all the time.", K),
        ("[Counselor]: How are you today?", C),
        ("Sure.\nTherapist: Let's begin.", C),
        ("Counsellor: welcome back.", C),
    ],
)
def test_speaker_label_fires(text, role):
    assert Flag.SPEAKER_LABEL in check_turn(text, role, [])


@pytest.mark.parametrize(
    "text,role",
    [
        ("我想和咨询师说：我真的很累。", K),  # the word is there, but not as a line label
        ("The client said: nothing much.", C),
        ("Client-centred work takes time, doesn't it?", C),
        ("My counselor last year was kind.", K),
    ],
)
def test_speaker_label_near_miss(text, role):
    assert Flag.SPEAKER_LABEL not in check_turn(text, role, [])


# --- ROLE_SWAP ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,role",
    [
        ("谢谢你的帮助，我感觉好多了。", C),  # counselor talking like a client
        ("Thank you for your help, I'm feeling much better.", C),
        ("As your client, I think this is hard.", C),
        ("我来咨询是因为最近总是睡不着。", C),
        ("I came here because I can't sleep.", C),
        ("作为你的咨询师，我建议你多休息。", K),  # client talking like a counselor
        ("我是你的心理咨询师，我们开始吧。", K),
        ("As your counselor, I think you should rest more.", K),
        ("I'm your therapist and I want to help.", K),
    ],
)
def test_role_swap_fires(text, role):
    assert Flag.ROLE_SWAP in check_turn(text, role, [])


@pytest.mark.parametrize(
    "text,role",
    [
        # the same sentences are fine from the role they belong to
        ("谢谢你的帮助，我感觉好多了。", K),
        ("Thank you for your help, I'm feeling much better.", K),
        ("作为你的咨询师，我建议你多休息。", C),
        ("As your counselor, I think you should rest more.", C),
        # and near-misses
        ("我之前的咨询师也这么说过。", K),
        ("I hope you're feeling better this week.", C),
        ("你现在感觉好些了吗？", C),
        ("My counselor last year said the same thing.", K),
        ("我来咨询是因为最近总是睡不着。", K),  # the client may say why it came
        ("I came here because I can't sleep.", K),
        ("What made you decide to come here?", C),
    ],
)
def test_role_swap_near_miss(text, role):
    assert Flag.ROLE_SWAP not in check_turn(text, role, [])


# --- ECHO -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,history",
    [
        (ZH_CLIENT + "你能多说一点吗？", ZH_HISTORY),
        (EN_CLIENT + " Tell me more.", EN_HISTORY),
        ("嗯，" + ZH_CLIENT, ZH_HISTORY),
    ],
)
def test_echo_fires_when_counselor_copies_client_plus_a_few_words(text, history):
    assert containment(text, history[-1].text) >= 0.8
    assert Flag.ECHO in check_turn(text, C, history)


def test_echo_of_counselor_by_client():
    history = [cturn(0, "Can you tell me what has been keeping you awake at night lately?")]
    text = "Can you tell me what has been keeping you awake at night lately? Work, I guess."
    assert Flag.ECHO in check_turn(text, K, history)


@pytest.mark.parametrize(
    "text,history",
    [
        # a genuine reflection shares words but is not a copy
        ("期末考试让你每天晚上睡不着，这种心慌一定很难受吧？", ZH_HISTORY),
        ("Months of overtime and nights you can't switch off: that sounds exhausting.", EN_HISTORY),
        # the other turn is too short (< 12 chars) to call a copy of it an echo
        ("我睡不着。你呢？", [cturn(0, ZH_OPEN), kturn(1, "我睡不着。")]),
    ],
)
def test_echo_near_miss(text, history):
    assert Flag.ECHO not in check_turn(text, C, history)


def test_echo_only_compares_with_the_other_roles_last_turn():
    # copying an *older* client turn is not an echo (it is compared with the last one only)
    history = [
        cturn(0, ZH_OPEN),
        kturn(1, ZH_CLIENT),
        cturn(2, "嗯。"),
        kturn(3, "我也不知道为什么会这样。"),
    ]
    assert Flag.ECHO not in check_turn(ZH_CLIENT + "对吗？", C, history)


@pytest.mark.parametrize(
    "text,history", [("一看书就心慌？", ZH_HISTORY), ("Can't switch off at night?", EN_HISTORY)]
)
def test_short_restatement_is_not_an_echo(text, history):
    assert Flag.ECHO not in check_turn(text, C, history)


# --- REPEAT ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,history",
    [
        (ZH_OPEN, ZH_HISTORY),
        (EN_OPEN, EN_HISTORY),
        ("Hi, what brings you here today?!", EN_HISTORY),  # near-identical
    ],
)
def test_repeat_fires_for_same_speaker_repeating_earlier_turn(text, history):
    assert Flag.REPEAT in check_turn(text, C, history)


def test_repeat_of_a_client_turn_by_the_client():
    history = [*ZH_HISTORY, cturn(2, "睡不着的时候你会做什么？")]
    assert Flag.REPEAT in check_turn(ZH_CLIENT, K, history)


def test_repeat_only_looks_back_a_bounded_number_of_turns():
    filler = [
        kturn(i, f"client line number {i} about sleep") if i % 2 else cturn(i, f"question {i}?")
        for i in range(1, 31)
    ]
    history = [cturn(0, EN_OPEN), *filler]  # the opening is 31 turns back
    assert Flag.REPEAT not in check_turn(EN_OPEN, C, history)  # default lookback 24
    assert Flag.REPEAT in check_turn(EN_OPEN, C, history, lookback=40)
    assert Flag.REPEAT in check_turn(EN_OPEN, C, history[:10])


def test_repeat_near_miss():
    # a different question from the same speaker
    assert Flag.REPEAT not in check_turn(
        "Hi again, what would you like to talk about today?", C, EN_HISTORY
    )
    # identical text said earlier by the *other* role is not a repeat (it may be an echo)
    history = [kturn(0, "I just feel tired."), cturn(1, "Tell me more about that tiredness.")]
    assert Flag.REPEAT not in check_turn("I just feel tired.", C, history)


# --- LOOP -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我不知道，我不知道，我不知道。",
        "I don't know. I don't know. I don't know.",
        "我真的很累，我真的很累，我真的很累，我真的很累",
        # long, no punctuation, mostly repeated 4-grams
        "我很累我很累" * 12,
    ],
)
def test_loop_fires(text):
    assert Flag.LOOP in check_turn(text, K, [])


@pytest.mark.parametrize(
    "text",
    [
        "我不知道，真的我不知道。",  # twice is not a loop
        "I don't know. I really don't know.",
        "好的，好的，好的。",  # clauses under 4 characters are not counted
        "我很累我很累我很累",  # short, unpunctuated: below the 60-character 4-gram check
    ],
)
def test_loop_near_miss(text):
    assert Flag.LOOP not in check_turn(text, K, [])


def test_several_flags_at_once_in_check_order():
    text = "Counselor: as your counselor, I don't know. I don't know. I don't know."
    assert check_turn(text, K, []) == [Flag.SPEAKER_LABEL, Flag.ROLE_SWAP, Flag.LOOP]


def test_similarity_and_containment_bounds():
    assert similarity("abcdef", "abcdef") == 1.0
    assert similarity("abcdef", "uvwxyz") == 0.0
    assert similarity("", "abc") == 0.0
    # containment(text, source): how much of the source the text reproduces
    assert containment("xx abc def ghi yy", "abc def ghi") == 1.0
    assert containment("abc", "xx abc def ghi yy") < 0.2
    assert 0 < similarity("hello world", "hello there") < 1


# --- generate_checked -----------------------------------------------------------------------------


class Maker:
    """An async ``make`` returning scripted texts, recording what it was asked with."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = list(texts)
        self.seen: list[tuple[int, Sampling]] = []
        self.rejected: list[Rejected | None] = []

    async def __call__(self, attempt: int, sampling: Sampling, rejected: Rejected | None) -> str:
        self.seen.append((attempt, sampling))
        self.rejected.append(rejected)
        return self.texts[attempt]


async def test_generate_checked_regenerates_after_a_bad_text():
    make = Maker(["咨询师：你好。", "你好，今天想聊点什么？"])
    base = Sampling(temperature=0.7)
    out, checked = await generate_checked(
        make, lambda s: s, [form_check(C, [])], base, max_regenerations=2
    )
    assert out == "你好，今天想聊点什么？"
    assert checked == Checked(attempts=2, flags=[])
    assert [a for a, _ in make.seen] == [0, 1]
    first, retry = make.seen[0][1], make.seen[1][1]
    assert first.temperature == pytest.approx(0.7)
    assert retry.temperature > first.temperature
    assert retry.temperature == pytest.approx(0.85)
    # only the temperature changes; the caller's settings object is not mutated
    assert retry.top_p == base.top_p and retry.max_tokens == base.max_tokens
    assert base.temperature == 0.7
    # the retry is told why the first attempt was rejected, and what it said
    assert make.rejected == [None, Rejected(flags=["speaker_label"], text="咨询师：你好。")]


async def test_generate_checked_passes_each_previous_rejection():
    texts = ["Client: one.", "", "I am not sure."]
    make = Maker(texts)
    out, checked = await generate_checked(make, lambda s: s, [form_check(K, [])], Sampling(), 2)
    assert out == "I am not sure." and checked == Checked(attempts=3, flags=[])
    assert make.rejected == [
        None,
        Rejected(flags=["speaker_label"], text="Client: one."),
        Rejected(flags=["empty"], text=""),
    ]


async def test_generate_checked_stops_at_the_first_clean_candidate():
    make = Maker(["Hi, how are you feeling today?", "never used"])
    out, checked = await generate_checked(make, lambda s: s, [form_check(C, [])], Sampling(), 3)
    assert out == "Hi, how are you feeling today?"
    assert checked.attempts == 1 and checked.flags == []
    assert len(make.seen) == 1


async def test_generate_checked_keeps_the_candidate_with_fewest_flags():
    texts = [
        "Client: as your counselor, I know.",  # SPEAKER_LABEL + ROLE_SWAP
        "Client: I feel fine now, thanks.",  # SPEAKER_LABEL only
        "Counselor: As your therapist, ok. ok ok. ok ok. ok ok.",  # label, swap, loop
    ]
    assert [len(check_turn(t, K, [])) for t in texts] == [2, 1, 3]
    make = Maker(texts)
    out, checked = await generate_checked(make, lambda s: s, [form_check(K, [])], Sampling(), 2)
    assert len(make.seen) == 3
    assert out == texts[1]
    assert checked.attempts == 3
    assert checked.flags == [Flag.SPEAKER_LABEL.value]


async def test_generate_checked_ties_keep_the_earliest_candidate():
    texts = ["Client: first.", "Client: second."]
    out, checked = await generate_checked(
        Maker(texts), lambda s: s, [form_check(K, [])], Sampling(), 1
    )
    assert out == "Client: first."
    assert checked == Checked(attempts=2, flags=["speaker_label"])


async def test_generate_checked_with_no_regenerations_makes_one_attempt():
    make = Maker(["Client: oops."])
    out, checked = await generate_checked(make, lambda s: s, [form_check(K, [])], Sampling(), 0)
    assert out == "Client: oops." and checked.attempts == 1 and checked.flags == ["speaker_label"]


async def test_generate_checked_temperature_is_capped():
    make = Maker(["", "", "", "", "", ""])
    await generate_checked(make, lambda s: s, [form_check(K, [])], Sampling(temperature=1.0), 5)
    temps = [s.temperature for _, s in make.seen]
    assert temps == sorted(temps)
    assert max(temps) == pytest.approx(1.2)


async def test_generate_checked_uses_text_of_and_history():
    # the checks see text_of(output) against the history: a repeat of an earlier own turn
    class Out:
        def __init__(self, reply: str) -> None:
            self.reply = reply

    async def make(attempt: int, sampling: Sampling, rejected: Rejected | None) -> Out:
        return Out([EN_OPEN, "What would you like to focus on first?"][attempt])

    out, checked = await generate_checked(
        make, lambda o: o.reply, [form_check(C, EN_HISTORY)], Sampling(), 2
    )
    assert out.reply == "What would you like to focus on first?"
    assert checked.attempts == 2


class Recording:
    """A check that records the attempts it saw and answers with what it is given."""

    def __init__(self, verdict: Callable[[str, int], Verdict]) -> None:
        self.verdict = verdict
        self.seen: list[tuple[str, int]] = []

    async def __call__(self, text: str, attempt: int) -> Verdict:
        self.seen.append((text, attempt))
        return self.verdict(text, attempt)


def rule(attempt: int, problem: str = "") -> PrincipleCheck:
    return PrincipleCheck(
        principle="p", method="rule", attempt=attempt, passed=not problem, problem=problem
    )


async def test_every_check_runs_on_every_attempt_whatever_the_form_checks_said():
    texts = ["Client: one.", "Client: two."]  # both fail a form check
    later = Recording(lambda text, a: Verdict(checks=[rule(a)]))
    out, checked = await generate_checked(
        Maker(texts), lambda s: s, [form_check(K, []), later], Sampling(), 1
    )
    assert later.seen == [("Client: one.", 0), ("Client: two.", 1)]
    assert out == "Client: one." and checked.flags == ["speaker_label"]
    assert checked.checks == [rule(0), rule(1)]  # every check of every attempt is kept


async def test_stated_problems_and_named_flags_reach_the_next_attempt():
    said = "Client: fine, because I said so."
    stated = Recording(
        lambda text, a: (
            Verdict(
                findings=[Finding("checklist:p", "too blunt"), Finding("other", "too blunt")],
                checks=[rule(a, "too blunt")],
            )
            if a == 0
            else Verdict(checks=[rule(a)])
        )
    )
    make = Maker([said, "I see."])
    out, checked = await generate_checked(
        make, lambda s: s, [form_check(K, []), stated], Sampling(), 2
    )
    assert out == "I see." and checked.attempts == 2 and checked.flags == []
    assert make.rejected[1] == Rejected(
        flags=["speaker_label"],
        text=said,
        problems=["too blunt"],  # one problem, said once
    )


async def test_an_undecided_check_neither_passes_nor_rejects_and_is_counted():
    broken = Recording(
        lambda text, a: Verdict(
            checks=undecided(["responsive", "kind"], "judge", a, "judge_failed", "invalid")
        )
    )
    make = Maker(["What brings you here today?", "never used"])
    out, checked = await generate_checked(make, lambda s: s, [broken], Sampling(), 3)
    assert out == "What brings you here today?" and checked.attempts == 1
    assert checked.flags == [] and checked.judge_failures == 2
    assert rejections(checked.checks) == []


@pytest.mark.parametrize(
    "text",
    [
        "我观察到来访者很焦虑，需要先共情。",
        "The client seems anxious, so I will reflect feelings.",
        "reasoning: reflect her worry before asking about sleep",
    ],
)
def test_counselor_reciting_its_notes_is_a_thought_leak(text):
    private = ["reasoning: reflect her worry before asking about sleep"]
    assert Flag.THOUGHT_LEAK in check_turn(text, Role.COUNSELOR, [], private=private)


def test_speaking_to_the_client_is_not_a_thought_leak():
    private = ["The client is anxious about exams.", "Reflect the worry first."]
    text = "It sounds like the exams are weighing on you. What worries you most?"
    assert Flag.THOUGHT_LEAK not in check_turn(text, Role.COUNSELOR, [], private=private)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("我担心父母会失望。” }", "我担心父母会失望。"),
        ('I feel tired." }', "I feel tired."),
        ("  他说“别担心”。 ", "他说“别担心”。"),
        ('She said "fine" to me.', 'She said "fine" to me.'),
        ("我觉得很内疚。” }\n\n\n```", "我觉得很内疚。"),
        ("有什么想说的吗？”} 你的问题已经被正确地回答了。", "有什么想说的吗？"),
        ('How are you?" } As an AI I cannot', "How are you?"),
    ],
)
def test_clean_spoken_trims_json_debris_only(raw, clean):
    from counselsim.critic.form import clean_spoken

    assert clean_spoken(raw) == clean


def test_client_parroting_a_counselor_clause_is_an_echo():
    said = counselor_turn(
        0,
        "这种想法是合理的，保持积极的心态和乐观的态度对你很有帮助。你愿意多说说吗？",
        strategy=(Strategy.AFFIRMATION,),
    )
    parrot = "我会保持积极的心态和乐观的态度对你很有帮助。"
    own = "我也不知道，就是晚上一直睡不着，脑子停不下来。"
    assert Flag.ECHO in check_turn(parrot, Role.CLIENT, [said])
    assert Flag.ECHO not in check_turn(own, Role.CLIENT, [said])


@pytest.mark.parametrize(
    "text",
    [
        "如果需要任何进一步的建议或者支持，请随时告诉我。",
        "Let me know if you need any further help.",
    ],
)
def test_client_offering_help_is_a_role_swap(text):
    assert Flag.ROLE_SWAP in check_turn(text, Role.CLIENT, [])
