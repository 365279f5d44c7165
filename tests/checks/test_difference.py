"""What a repair prompt says of a wrong value: only differences certain from the two values, else nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from toolfoundry.checks.behaviour import ExampleOutcome
from toolfoundry.checks.difference import describe_difference


def test_strings_that_differ_only_in_case_or_whitespace_say_so() -> None:
    assert describe_difference("'hello-world'", "'Hello-World'") == "they differ only in letter case"
    assert describe_difference("'a b'", "' a b\\n'") == "they differ only in whitespace at the ends"
    assert describe_difference("'a b'", "'a   b'") == "they differ only in whitespace"
    assert describe_difference("'hello'", "'world'") == ""  # nothing certain: the values speak


def test_types_that_differ_say_which_is_expected() -> None:
    assert describe_difference("3", "'3'") == "a str where an int is expected"
    assert describe_difference("2", "2.0") == "a float where an int is expected"
    assert describe_difference("[1, 2]", "(1, 2)") == "the right items, as a tuple where a list is expected"
    assert describe_difference("3", "'4'") == ""


def test_sequences_and_mappings_name_what_differs() -> None:
    assert describe_difference("[1, 2, 3]", "[3, 1, 2]") == "the same items in another order"
    assert describe_difference("[1, 2, 3]", "[1, 2]") == "2 items where 3 are expected"
    assert describe_difference("[1, 2, 3]", "[1, 5, 3]") == "the item at position 1 differs"
    assert describe_difference("{'a': '1'}", "{'a': 1}") == "the value of 'a' differs: an int where a str is expected"
    assert describe_difference("{'a': '1', 'b': 'x'}", "{'a': '2', 'b': 'y'}") == "the values of 'a', 'b' differ"
    assert describe_difference("{'a': 1, 'b': 2}", "{'a': 1, 'c': 2}") == "keys missing: 'b'; keys not expected: 'c'"
    assert describe_difference("[{'x': 1}, 2]", "[2, {'x': 1}]") == "the items at positions 0, 1 differ"  # unsortable


def test_the_right_value_inside_a_one_item_list_says_so_and_items_that_differ_alike_say_how() -> None:
    # `urllib.parse.parse_qs` where `parse_qsl` was meant: the commonest wrong dict of the quality set.
    wanted = "the values of 'a', 'b' differ: the right value, inside a list"
    assert describe_difference("{'a': '1', 'b': 'two words'}", "{'a': ['1'], 'b': ['two words']}") == wanted
    assert describe_difference("'x'", "('x',)") == "the right value, inside a tuple"
    assert describe_difference("'x'", "['y']") == ""
    assert describe_difference("1", "[1.0]") == ""  # equal, but not the same value as written
    assert (
        describe_difference("['A', 'b']", "['a', 'B']")
        == "the items at positions 0, 1 differ: they differ only in letter case"
    )
    assert describe_difference("['A', 7]", "['a', 8]") == "the items at positions 0, 1 differ"  # not one way


def test_what_is_not_a_value_says_nothing() -> None:
    assert describe_difference("raises ValueError", "'x'") == ""
    assert describe_difference("'x'", "raised KeyError: 'x'") == ""
    assert describe_difference("'x'", "did not finish (per-example time limit)") == ""
    assert describe_difference("<object at 0x1>", "<object at 0x2>") == ""


def test_a_passed_example_has_no_difference() -> None:
    passed = ExampleOutcome(index=0, call="f()", expected="1.0", got="1", passed=True)  # equal by value
    assert passed.difference == ""
    failed = ExampleOutcome(index=0, call="f()", expected="'ab'", got="'AB'", passed=False)
    assert failed.difference == "they differ only in letter case"


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=8,
)


@given(values, values)
def test_any_two_values_give_a_short_sentence_or_nothing(expected, got) -> None:
    said = describe_difference(repr(expected), repr(got))
    assert isinstance(said, str) and len(said) < 200
    if expected == got and type(expected) is type(got):
        assert said == ""
