import ast

from toolfoundry.generate import mend
from toolfoundry.spec import ToolSpecificationParser


def test_top_level_calls_and_main_blocks_are_removed(slug_spec) -> None:
    code = (
        'def slugify(text: str) -> str:\n    """d"""\n    return text\n\nprint(slugify("x"))\n'
        'if __name__ == "__main__":\n    slugify("y")\n'
    )
    mended, notes = mend(code, slug_spec)
    assert "print(" not in mended and "__main__" not in mended
    assert any("top-level code" in note for note in notes)


def test_misspelt_function_is_renamed(slug_spec) -> None:
    mended, notes = mend(
        'def slugfy(text: str) -> str:\n    """d"""\n    return slugfy(text[1:]) if text else ""\n', slug_spec
    )
    assert "def slugify(" in mended and "return slugify(text[1:])" in mended
    assert notes == ["renamed function 'slugfy' to 'slugify'"]


def test_signature_and_docstring_are_set_from_the_spec(slug_spec) -> None:
    mended, notes = mend("def slugify(text):\n    return text.lower()\n", slug_spec)
    function = ast.parse(mended).body[0]
    assert ast.unparse(function.args) == "text: str" and ast.unparse(function.returns) == "str"
    assert ast.get_docstring(function) == "Turn text into a URL slug."
    assert len(notes) == 2


def test_missing_standard_library_imports_are_added(slug_spec) -> None:
    mended, notes = mend('def slugify(text: str) -> str:\n    """d"""\n    return re.sub("a", "b", text)\n', slug_spec)
    assert mended.startswith("import re\n")
    assert notes == ["added missing imports: import re"]


def test_unknown_names_are_not_guessed(slug_spec) -> None:
    code = 'def slugify(text: str) -> str:\n    """d"""\n    return magic_helper(text)\n'
    mended, notes = mend(code, slug_spec)
    assert mended == code and notes == []


def test_code_that_does_not_parse_is_left_alone(slug_spec) -> None:
    assert mend("def slugify(:\n", slug_spec) == ("def slugify(:\n", [])


def test_a_standard_library_name_used_without_its_import_is_imported_from_its_home() -> None:
    spec = ToolSpecificationParser().parse(
        {"name": "pairs", "description": "All pairs.", "input_params": [{"name": "xs", "type": "list[int]"}]}
    )
    code = 'def pairs(xs: list[int]):\n    """All pairs."""\n    return list(combinations(Counter(xs), 2))\n'
    mended, notes = mend(code, spec)
    assert "from itertools import combinations" in mended and "from collections import Counter" in mended
    assert notes == ["added missing imports: from collections import Counter; from itertools import combinations"]
    namespace: dict = {}
    exec(compile(mended, "pairs", "exec"), namespace)
    assert namespace["pairs"]([1, 2]) == [(1, 2)]
