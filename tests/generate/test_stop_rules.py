"""The repair loop stops where repairs stop helping (generate/progress.py), with the scripted model and the real
sandbox: code already checked is not checked again nor counted twice, a model whose repairs do not beat the
best is given up after `patience` of them (and the next model takes over at once), probe failures alone are
asked about in one repair (and each probe call is quoted once), and the report says why the attempts ended."""

from __future__ import annotations

from tests.helpers import GOOD_SLUGIFY, requires_sandbox
from toolfoundry import LLMCodeGenerator, ScriptedModel
from toolfoundry.evidence import EvidencePolicy
from toolfoundry.generate import RepairPolicy
from toolfoundry.generate.progress import PROBES_ASKED_NO_CODE, PROBES_ASKED_ONCE, code_key

pytestmark = requires_sandbox


def slug(body: str, extra: str = "") -> str:
    return f'```python\ndef slugify(text: str) -> str:\n    """Make a slug."""{extra}\n    return {body}\n```'


WRONG = slug("text.upper()")
HALF_RIGHT = slug("text.lower().replace(' ', '-')")


def generate(spec, *models, policy=None, evidence=None):
    generator = LLMCodeGenerator.create(
        model=models[0], fallback_models=models[1:], policy=policy or RepairPolicy(), evidence=evidence
    )
    return generator.generate_code_sync(spec)


def test_formatting_and_comments_do_not_make_new_code() -> None:
    assert code_key("def f(x):\n    return x  # same\n") == code_key("def f( x ):\n\n    return (x)\n")
    assert code_key("def f(x):\n    return x\n") != code_key("def f(x):\n    return -x\n")


def test_a_model_that_repeats_itself_stops_after_one_repeated_repair_not_nine(slug_spec) -> None:
    model = ScriptedModel([WRONG])  # the same reply, every time
    tool = generate(slug_spec, model)
    assert tool.status == "unverified" and len(model.requests) == 4  # 3 initial samples, then 1 repair
    assert [attempt.same_as for attempt in tool.report.attempts] == [None, 1, 1, 1]  # checked once
    assert tool.report.stopped.startswith(
        "scripted: a repair gave code already checked (the next round would quote the same attempt):"
    )
    assert "still failing the example slugify(text='Hello World')" in tool.report.stopped


def test_a_repair_round_is_one_draw_in_the_warmest_slot(slug_spec) -> None:
    # The initial round's three slots, then each repair round only the round's last: the warmest (prefilled
    # for a model that takes a prefill; the scripted one does not), with that slot's seed.
    model = ScriptedModel([WRONG, WRONG, WRONG, slug("text.title()"), GOOD_SLUGIFY])
    tool = generate(slug_spec, model)
    assert tool.status == "verified" and len(model.requests) == 5
    drawn = [(attempt.kind, attempt.temperature) for attempt in tool.report.attempts]
    assert drawn == [("initial", 0.0), ("initial", 0.6), ("initial", 0.9), ("repair", 0.9), ("repair", 0.9)]
    assert [request.seed for request in model.requests] == [0, 1, 2, 102, 202]


def test_with_more_draws_per_repair_round_a_repeat_between_new_failures_is_counted_apart(slug_spec) -> None:
    # Three draws per repair round (the warm end of the round first): a round ends the model only when every
    # draw in it repeats; two new failures stop it.
    policy = RepairPolicy(repair_samples=3)
    replies = [WRONG, WRONG, WRONG, WRONG, slug("text.title()"), WRONG, WRONG, GOOD_SLUGIFY]
    assert generate(slug_spec, ScriptedModel(replies), policy=policy).status == "verified"
    model = ScriptedModel([WRONG, WRONG, WRONG, slug("text.title()"), slug("text.swapcase()")])
    stopped = generate(slug_spec, model, policy=policy)
    assert "no progress in 2 repairs with new code" in stopped.report.stopped
    repeating = ScriptedModel([WRONG])
    tool = generate(slug_spec, repeating, policy=policy)
    assert len(repeating.requests) == 6 and "3 repairs in a row gave code already checked" in tool.report.stopped


def test_variations_that_fail_the_same_way_stop_as_soon(slug_spec) -> None:
    replies = [slug("text.upper()", f"\n    x{number} = {number}") for number in range(9)]  # new code, no better
    model = ScriptedModel(replies)
    tool = generate(slug_spec, model)
    assert len(model.requests) == 5 and all(attempt.same_as is None for attempt in tool.report.attempts)
    assert "no progress in 2 repairs with new code: still failing" in tool.report.stopped


def test_a_repair_that_makes_progress_resets_the_count(slug_spec) -> None:
    # 0 of 2 examples, three times; a repair passes 1; one that does not beat it; then one that passes both.
    model = ScriptedModel([WRONG, WRONG, WRONG, HALF_RIGHT, slug("text.lower()"), GOOD_SLUGIFY])
    tool = generate(slug_spec, model, policy=RepairPolicy(rounds=4))  # three repair rounds of one draw
    assert tool.status == "verified" and len(model.requests) == 6
    assert tool.report.stopped == "scripted: verified at attempt 6"


def test_the_next_model_takes_over_as_soon_as_the_first_stops_progressing(slug_spec) -> None:
    weak, strong = ScriptedModel([WRONG], name="weak"), ScriptedModel([GOOD_SLUGIFY], name="strong")
    tool = generate(slug_spec, weak, strong)
    assert tool.status == "verified"
    assert [attempt.model for attempt in tool.report.attempts] == ["weak"] * 4 + ["strong"]
    assert tool.report.stopped.startswith("weak: a repair gave code already checked")
    assert tool.report.stopped.endswith("; strong: verified at attempt 5")


def test_the_same_code_twice_is_not_two_agreeing_candidates(slug_spec) -> None:
    evidence = EvidencePolicy(min_agreeing=2)
    tool = generate(slug_spec, ScriptedModel([GOOD_SLUGIFY]), evidence=evidence)
    assert tool.status == "unverified" and "agreeing candidates" in tool.report.reason
    other = GOOD_SLUGIFY.replace('    return "-".join(', "    words = ").replace(
        ".lower()))", ".lower())\n    return '-'.join(words)"
    )
    assert "words" in other  # other code, the same behaviour
    assert generate(slug_spec, ScriptedModel([GOOD_SLUGIFY, other]), evidence=evidence).status == "verified"


def test_patience_zero_uses_every_attempt(slug_spec) -> None:
    model = ScriptedModel([WRONG])
    tool = generate(slug_spec, model, policy=RepairPolicy(patience=0))
    assert len(model.requests) == 5  # 3 samples, then 2 repair rounds of one draw
    assert tool.report.stopped == "scripted: every attempt made (3 samples, 2 repair rounds)"


def test_probe_failures_alone_are_asked_about_in_one_repair_then_the_model_stops(slug_spec) -> None:
    # Right on both examples, but raises on an empty text, which the spec does not rule on: a probe fails.
    # No second draw of the initial prompt, one repair (a single call) quoting the failure, then a stop.
    raising = GOOD_SLUGIFY.replace("text.lower()))", "text.lower())) or text[0]")
    model = ScriptedModel([raising])
    tool = generate(slug_spec, model, policy=RepairPolicy(patience=0))
    assert len(model.requests) == 2 and [attempt.kind for attempt in tool.report.attempts] == ["initial", "repair"]
    repair = model.requests[1].messages[-1].content
    assert "What is wrong with it" in repair and "slugify(text='') raised IndexError" in repair
    assert tool.status == "unverified" and tool.report.stopped == f"scripted: {PROBES_ASKED_ONCE}"


def test_a_repair_of_probe_failures_that_fixes_them_is_verified(slug_spec) -> None:
    raising = GOOD_SLUGIFY.replace("text.lower()))", "text.lower())) or text[0]")
    model = ScriptedModel([raising, GOOD_SLUGIFY])
    tool = generate(slug_spec, model)
    assert tool.status == "verified" and len(model.requests) == 2


RAISING = GOOD_SLUGIFY.replace("text.lower()))", "text.lower())) or text[0]")  # right, but raises on ''


def test_with_no_round_left_the_report_says_the_probe_failures_were_not_asked_about(slug_spec) -> None:
    model = ScriptedModel([RAISING])
    tool = generate(slug_spec, model, policy=RepairPolicy(rounds=1))
    assert len(model.requests) == 1 and tool.status == "unverified"
    assert tool.report.stopped == (
        "scripted: its examples pass and only probes fail, and no round was left to ask about them (--rounds)"
    )


def test_a_probe_repair_that_gives_no_code_is_reported_as_such(slug_spec) -> None:
    model = ScriptedModel([RAISING, "I cannot help with that."])
    tool = generate(slug_spec, model)
    assert len(model.requests) == 2 and tool.report.stopped == f"scripted: {PROBES_ASKED_NO_CODE}"


def test_a_fallback_model_draws_its_own_round_after_the_first_stopped_on_probes(slug_spec) -> None:
    weak, strong = ScriptedModel([RAISING], name="weak"), ScriptedModel([WRONG, GOOD_SLUGIFY], name="strong")
    tool = generate(slug_spec, weak, strong)
    assert tool.status == "verified"
    # The weak model's candidate, meeting every example, does not end the strong model's initial round early.
    assert [(attempt.model, attempt.kind) for attempt in tool.report.attempts] == [
        ("weak", "initial"), ("weak", "repair"), ("strong", "initial"), ("strong", "initial"),
    ]  # fmt: skip


def test_a_probe_failure_already_quoted_is_not_quoted_again(slug_spec) -> None:
    # First wrong on an example and raising on '' (both quoted); then right on the examples, still raising on '':
    # that probe was asked about already, so nothing new is left to ask.
    raising = GOOD_SLUGIFY.replace("text.lower()))", "text.lower())) or text[0]")
    wrong_and_raising = raising.replace("'-'.join(", "'_'.join(").replace('"-".join(', '"_".join(')
    assert wrong_and_raising != raising
    model = ScriptedModel([wrong_and_raising, wrong_and_raising, wrong_and_raising, raising])
    tool = generate(slug_spec, model, policy=RepairPolicy(patience=0))
    repair = model.requests[3].messages[-1].content
    assert "slugify(text='') raised IndexError" in repair
    assert len(model.requests) == 4
    assert tool.report.stopped == (
        "scripted: nothing new to repair: the probe failures left were quoted in an earlier repair"
    )


def test_candidates_that_disagree_leave_questions_in_the_report(slug_spec) -> None:
    # Both pass every example; on a double space one gives 'a--b': a question for the person who wrote the spec.
    dashes = slug("re.sub(r'[^a-z0-9 ]', '', text.lower()).replace(' ', '-')").replace(
        "```python\n", "```python\nimport re\n"
    )
    evidence = EvidencePolicy(min_agreeing=2)
    tool = generate(slug_spec, ScriptedModel([GOOD_SLUGIFY, dashes]), evidence=evidence)
    assert tool.status == "unverified" and tool.report.review.candidates == 2
    asked = tool.report.review.questions
    assert asked and all(len(question.answers) == 2 and question.split == 0.5 for question in asked)
    assert tool.report.review.behaviours == []


def test_one_candidate_leaves_a_behaviour_table(slug_spec) -> None:
    tool = generate(slug_spec, ScriptedModel([GOOD_SLUGIFY]))
    assert tool.status == "verified" and tool.report.review.questions == []
    rows = {row.call: row.answer for row in tool.report.review.behaviours}
    assert rows.get("slugify(text='')") == "''"


def test_a_free_reply_for_code_ends_after_the_block_that_defines_the_function(slug_spec) -> None:
    # What a model writes after its code is never read: a free reply asks to end there, a prefilled one ends
    # at the fence the prefill opened, and the call for tests is not cut.
    model = ScriptedModel(["    return text.upper()\n```"], supports_prefill=True)
    generate(slug_spec, model, policy=RepairPolicy(rounds=1, samples_per_round=2))
    assert [(request.prefill != "", request.stop_after_block) for request in model.requests] == [
        (True, ""),
        (False, "def slugify("),
    ]
