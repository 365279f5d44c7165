"""A person's answers before any tool is touched: read from what they type, a file or an oracle; checked
against the spec's declared types; written into the spec file in place, comments and layout kept, atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from toolfoundry.errors import ReviewError
from toolfoundry.evidence import EvidencePolicy
from toolfoundry.evidence.holdout import held_back_indexes
from toolfoundry.review.answers import Given, as_example, candidate_answer, read_answers_file, read_typed
from toolfoundry.review.oracle import ask_oracle, load_oracle
from toolfoundry.review.spec_file import add_examples
from toolfoundry.spec import Example, ToolSpecificationParser

SPEC_TEXT = """\
# A slug tool, as a person keeps it.
name: make_slug
description: Turn a title into a URL slug; raises ValueError for a title of only symbols.
input_params:
  - {name: title, type: str, description: the title}   # one parameter
output_type: str
examples:
  - input: {title: "Hello World"}
    output: hello-world   # the usual case
  - {input: {title: ""}, output: ""}
"""
COUNT_SPEC = {
    "name": "count",
    "description": "How many words.",
    "input_params": [{"name": "text", "type": "str"}],
    "output_type": "int",
    "examples": [{"input": {"text": "a b"}, "output": 2}],
}


def slug_spec(tmp_path: Path) -> tuple[Path, object]:
    path = tmp_path / "slug.yaml"
    path.write_text(SPEC_TEXT)
    return path, ToolSpecificationParser().parse_file(path)[0]


def test_answers_are_added_in_place_keeping_comments_quotes_and_layout(tmp_path: Path) -> None:
    path, spec = slug_spec(tmp_path)
    examples = [
        as_example(spec, Given(input={"title": "a  b"}, output="a-b"), "here"),
        as_example(spec, Given(input={"title": "!!"}, raises="ValueError"), "here"),
    ]
    add_examples(path, "make_slug", examples)
    text = path.read_text()
    assert text.startswith(SPEC_TEXT)  # every line the person wrote is there as they wrote it
    added = text.removeprefix(SPEC_TEXT)
    assert "confirmed: review" in added and "a  b" in added and "ValueError" in added
    assert added.lstrip().startswith("- {input:")  # in the style of the example before them (flow)
    reread = ToolSpecificationParser().parse_file(path)[0]
    assert reread.examples[-2:] == examples and reread.examples[-1].confirmed == "review"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_a_json_spec_file_takes_answers_as_json(tmp_path: Path) -> None:
    path = tmp_path / "count.json"
    path.write_text(json.dumps(COUNT_SPEC))
    spec = ToolSpecificationParser().parse_file(path)[0]
    add_examples(path, "count", [as_example(spec, Given(input={"text": ""}, output=0), "here")])
    data = json.loads(path.read_text())
    assert data["examples"][-1] == {"input": {"text": ""}, "output": 0, "confirmed": "review"}


def test_a_spec_file_that_is_not_writable_is_left_as_it_was(tmp_path: Path) -> None:
    path, spec = slug_spec(tmp_path)
    path.chmod(0o444)
    if os.access(path, os.W_OK):
        pytest.skip("running as a user whom file modes do not stop")
    with pytest.raises(ReviewError, match="not writable"):
        add_examples(path, "make_slug", [as_example(spec, Given(input={"title": "x"}, output="x"), "here")])
    assert path.read_text() == SPEC_TEXT


def test_the_file_is_replaced_only_once_what_was_written_reads_back(tmp_path: Path, monkeypatch) -> None:
    path, spec = slug_spec(tmp_path)
    example = as_example(spec, Given(input={"title": "x"}, output="x"), "here")
    monkeypatch.setattr("toolfoundry.review.spec_file._add_to_yaml", lambda *args: SPEC_TEXT + "  - nonsense\n")
    with pytest.raises(ReviewError, match="no spec file any more"):
        add_examples(path, "make_slug", [example])
    assert path.read_text() == SPEC_TEXT and list(tmp_path.iterdir()) == [path]
    monkeypatch.undo()
    with pytest.raises(ReviewError, match="no spec named 'other'"):
        add_examples(path, "other", [example])


def test_an_answer_that_breaks_the_declared_types_is_refused_with_where(tmp_path: Path) -> None:
    spec = ToolSpecificationParser().parse(COUNT_SPEC)
    with pytest.raises(ReviewError, match=r"count, answer 2: .*output_type int"):
        as_example(spec, Given(input={"text": "a"}, output="one"), "count, answer 2")
    with pytest.raises(ReviewError, match="input 'text'"):
        as_example(spec, Given(input={"text": 3}, output=1), "here")
    with pytest.raises(ReviewError, match="no parameter 'words'"):
        as_example(spec, Given(input={"words": "a"}, output=1), "here")
    with pytest.raises(ReviewError, match="not an exception class name"):
        as_example(spec, Given(input={"text": "a"}, raises="oops"), "here")


def test_what_a_person_types_is_read_as_a_literal_never_evaluated(tmp_path: Path) -> None:
    _, slug = slug_spec(tmp_path)
    count = ToolSpecificationParser().parse(COUNT_SPEC)
    assert read_typed("'a-b'", slug, {}).output == "a-b"
    assert read_typed("a-b", slug, {}).output == "a-b"  # bare text for a str tool
    assert read_typed("1", slug, {}).output == "1"
    assert read_typed("3", count, {}).output == 3
    assert read_typed("raises ValueError", count, {}).raises == "ValueError"
    with pytest.raises(ReviewError, match="no Python literal"):
        read_typed("__import__('os').system('true')", count, {})
    assert candidate_answer("'a--b'", {}) == Given(input={}, output="a--b")
    assert candidate_answer("'cut sho", {}) is None
    assert candidate_answer("raises ValueError", {}) == Given(input={}, raises="ValueError")
    assert candidate_answer("'raises ValueError'", {}) == Given(input={}, output="raises ValueError")  # a string
    assert candidate_answer("9" * 200, {}) is None  # a report keeps 200 characters: it may be cut short


def test_an_answers_file_names_the_entry_that_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("make_slug:\n  - {input: {title: 'a  b'}, output: a-b}\n  - {input: {title: x}, any: true}\n")
    answers = read_answers_file(path)["make_slug"]
    assert answers[0] == Given(input={"title": "a  b"}, output="a-b") and answers[1].any_fine
    path.write_text("make_slug:\n  - {input: {title: x}}\n")
    with pytest.raises(ReviewError, match=r"make_slug\[0\]: give `input` and one of"):
        read_answers_file(path)
    path.write_text("- just a list\n")
    with pytest.raises(ReviewError, match="must map each tool"):
        read_answers_file(path)


def test_an_oracle_answers_raises_what_the_spec_declares_and_fails_plainly_otherwise(tmp_path: Path) -> None:
    _, spec = slug_spec(tmp_path)
    (tmp_path / "reference.py").write_text(
        "import json, os\n"
        "def slug(title):\n"
        "    if title == '!!':\n        raise ValueError('symbols only')\n"
        "    if title == 'json':\n        json.loads('{')\n"  # a JSONDecodeError is a ValueError
        "    if title == 'boom':\n        raise KeyError(title)\n"
        "    if title == 'refused':\n        raise TypeError('not a title')\n"
        "    open('scratch.txt', 'w').write(title)\n"  # in a folder of its own, not the caller's
        "    return '-'.join(title.lower().split())\n"
    )
    oracle = load_oracle(f"{tmp_path / 'reference.py'}:slug")
    assert ask_oracle(oracle, spec, {"title": "A  b"}, "make_slug('A  b')").output == "a-b"
    assert ask_oracle(oracle, spec, {"title": "!!"}, "c").raises == "ValueError"
    assert ask_oracle(oracle, spec, {"title": "json"}, "c").raises == "ValueError"
    assert ask_oracle(oracle, spec, {"title": "refused"}, "c").raises == "TypeError"  # a refusal, though undeclared
    with pytest.raises(ReviewError, match=r"raised KeyError: 'boom' on make_slug\('boom'\).*left as it was"):
        ask_oracle(oracle, spec, {"title": "boom"}, "make_slug('boom')")
    assert not (tmp_path / "scratch.txt").exists() and not Path("scratch.txt").exists()
    for target, problem in [
        ("nothing", "module:function"),
        (f"{tmp_path / 'reference.py'}:missing", "no function 'missing'"),
        ("no_such_module_here:f", "importing it failed: ModuleNotFoundError"),
    ]:
        with pytest.raises(ReviewError, match=problem):
            load_oracle(target)


def test_a_persons_answers_are_never_held_back_and_do_not_move_the_choice(tmp_path: Path) -> None:
    spec = ToolSpecificationParser().parse(
        {**COUNT_SPEC, "examples": [{"input": {"text": "a " * n}, "output": n} for n in range(1, 7)]}
    )
    before = held_back_indexes(spec)
    answered = spec.model_copy(
        update={
            "examples": [
                *spec.examples,
                *(Example(input={"text": "x" * n}, output=1, confirmed="review") for n in range(6)),
            ]
        }
    )
    assert held_back_indexes(answered) == before


def test_a_review_checks_again_under_the_options_the_tool_was_made_with() -> None:
    policy = EvidencePolicy(probes=40, probe_seed=3, min_agreeing=2, spec_tests=True, show_all_examples=True)
    assert EvidencePolicy.from_description(policy.describe()) == policy
    assert EvidencePolicy.from_description("") == EvidencePolicy()
    assert EvidencePolicy.from_description("probes=lots") == EvidencePolicy()


def test_values_are_kept_as_a_spec_file_holds_them_or_refused(tmp_path: Path) -> None:
    pair = ToolSpecificationParser().parse(
        {
            **COUNT_SPEC,
            "name": "pair",
            "output_type": "tuple[int, int]",
            "examples": [{"input": {"text": "a"}, "output": [1, 1]}],
        }
    )
    assert as_example(pair, Given(input={"text": "ab"}, output=(1, 2)), "here").output == [1, 2]
    anything = ToolSpecificationParser().parse({**COUNT_SPEC, "output_type": "Any"})
    assert as_example(anything, Given(input={"text": "a"}, output={2, 1}), "here").output == [1, 2]
    assert as_example(anything, Given(input={"text": "a"}, output=((1, 2), 3)), "here").output == [[1, 2], 3]
    for value in (b"raw", 1j, float("nan"), object()):
        with pytest.raises(ReviewError, match="cannot be kept in a spec file"):
            as_example(anything, Given(input={"text": "a"}, output=value), "here")


def test_an_answer_takes_the_folder_and_exchanges_its_question_was_asked_in() -> None:
    spec = ToolSpecificationParser().parse(
        {
            "name": "first_line",
            "description": "The first line of a file.",
            "input_params": [{"name": "path", "type": "str"}],
            "output_type": "str",
            "permissions": {"filesystem": "read"},
            "examples": [{"input": {"path": "a.txt"}, "files": {"a.txt": "one\ntwo\n"}, "output": "one"}],
        }
    )
    example = as_example(spec, Given(input={"path": "b.txt"}, raises="FileNotFoundError", example=0), "here")
    assert example.files == {"a.txt": "one\ntwo\n"} and example.raises == "FileNotFoundError"

    def first_line(path: str) -> str:
        with open(path, encoding="utf-8") as stream:
            return stream.readline().rstrip("\n")

    # The oracle answers in a folder holding the same files: what the candidates saw when asked.
    assert ask_oracle(first_line, spec, {"path": "a.txt"}, "first_line('a.txt')", example=0).output == "one"
    # Without its example's files there is no file: for a tool that reads files, refusing a path is an answer.
    assert ask_oracle(first_line, spec, {"path": "a.txt"}, "first_line('a.txt')").raises == "FileNotFoundError"
    assert as_example(spec, Given(input={"path": "b.txt"}, raises="FileNotFoundError"), "here").files == {}


LAYOUTS = {
    "top-level list, four spaces": "-   name: one\n    description: One.\n    input_params:\n"
    "    -   {name: x, type: int}\n    output_type: int\n    examples:\n    -   {input: {x: 1}, output: 1}\n"
    "-   name: two\n    description: Two.\n    input_params: []\n    output_type: int\n    examples:\n"
    "    -   {input: {}, output: 2}\n",
    "CRLF line endings": SPEC_TEXT.replace("\n", "\r\n"),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_files_own_layout_is_kept(tmp_path: Path, layout: str) -> None:
    text = LAYOUTS[layout]
    path = tmp_path / "spec.yaml"
    path.write_bytes(text.encode())
    spec = ToolSpecificationParser().parse_file(path)[0]
    param = spec.input_params[0].name if spec.input_params else None
    value = "yes" if spec.output_type == "str" else 7  # `yes` is a boolean to a YAML 1.1 reader
    add_examples(
        path,
        spec.name,
        [as_example(spec, Given(input={param: 2} if param == "x" else {"title": "a"}, output=value), "here")],
    )
    written = path.read_bytes().decode()
    old_lines = text.splitlines()
    new_lines = written.splitlines()
    assert all(line in new_lines for line in old_lines), written
    assert ("\r\n" in written) == ("\r\n" in text)
    reread = ToolSpecificationParser().parse_file(path)
    assert reread[0].examples[-1].output == value and all(other.examples for other in reread)


def test_openai_specs_take_answers_where_their_examples_are_read(tmp_path: Path) -> None:
    path = tmp_path / "openai.json"
    nested = {
        "type": "function",
        "function": {
            "name": "count",
            "description": "How many words.",
            "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
            "examples": [{"input": {"text": "a b"}, "output": 2}],
        },
        "output_type": "int",
    }
    path.write_text(json.dumps(nested))
    spec = ToolSpecificationParser().parse_file(path)[0]
    add_examples(path, "count", [as_example(spec, Given(input={"text": ""}, output=0), "here")])
    assert [example.output for example in ToolSpecificationParser().parse_file(path)[0].examples] == [2, 0]


def test_an_examples_list_other_specs_share_by_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "- name: a\n  description: A.\n  input_params: []\n  output_type: int\n"
        "  examples: &shared\n    - {input: {}, output: 1}\n"
        "- name: b\n  description: B.\n  input_params: []\n  output_type: int\n  examples: *shared\n"
    )
    before = path.read_text()
    spec = ToolSpecificationParser().parse_file(path)[0]
    with pytest.raises(ReviewError, match=r"anchor|did not read back"):
        add_examples(path, "a", [as_example(spec, Given(input={}, output=1), "here")])
    assert path.read_text() == before


def test_an_oracle_that_does_not_take_the_parameters_is_no_oracle(tmp_path: Path) -> None:
    _, spec = slug_spec(tmp_path)
    (tmp_path / "other.py").write_text(
        "from __future__ import annotations\nfrom dataclasses import dataclass\n\n@dataclass\nclass Seen:\n"
        "    text: str\n\ndef slug(text):\n    return Seen(text).text.lower()\n"
    )
    oracle = load_oracle(f"{tmp_path / 'other.py'}:slug")  # a dataclass in the file loads
    with pytest.raises(ReviewError, match="does not take make_slug's parameters"):
        ask_oracle(oracle, spec, {"title": "a"}, "make_slug('a')")
    assert "" not in __import__("sys").path or Path.cwd() != tmp_path
