import pytest

from toolfoundry.spec.typeexpr import TypeExpressionError, canonical_type, is_optional


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("str", "str"),
        ("list[dict]", "list[dict]"),
        ("Optional[int]", "int | None"),
        ("typing.Union[int, None]", "int | None"),
        ("None | int", "int | None"),
        ("List[Dict[str, int]]", "list[dict[str, int]]"),
        ("Literal['a', 'b']", "Literal['a', 'b']"),
        ("Any", "Any"),
        ("tuple[int, ...]", "tuple[int, ...]"),
    ],
)
def test_spellings_of_one_type_become_one(written: str, canonical: str) -> None:
    assert canonical_type(written) == canonical


@pytest.mark.parametrize("bad", ["", "Foo", "list[Bar]", "int +", "3", "os.system", "Literal[x]"])
def test_unknown_or_malformed_types_are_rejected_with_the_reason(bad: str) -> None:
    with pytest.raises(TypeExpressionError):
        canonical_type(bad)


def test_optional_types_admit_none() -> None:
    assert is_optional("int | None")
    assert is_optional("Any")
    assert not is_optional("list[int]")
