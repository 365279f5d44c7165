"""The pool a prompt's examples are retrieved from: the user's library and the built-in tools, once each."""

from __future__ import annotations

from toolfoundry.generate.retrieval import retrieval_pool
from toolfoundry.library import ToolLibrary, builtin_library
from toolfoundry.spec import ToolSpecificationParser

COUNT_WORDS = ToolSpecificationParser().parse(
    {
        "name": "count_words",
        "description": "Count the words in a sentence.",
        "input_params": [{"name": "sentence", "type": "str"}],
        "output_type": "int",
    }
)
COUNT_WORDS_CODE = 'def count_words(sentence: str) -> int:\n    """C."""\n    return len(sentence.split())\n'


def test_retrieval_pool_drops_near_duplicates(tmp_path) -> None:
    library = ToolLibrary(tmp_path / "library.sqlite3")
    builtin = {tool.spec.name: tool for tool in builtin_library()}
    slug = builtin["slugify"]
    library.add(slug.spec, slug.code, {"status": "verified"}, "m", "0")  # same name as a built-in: once
    # The same code as a built-in, under another name and with a comment for a docstring: a near-duplicate.
    copied = builtin["roman_to_int"].code.replace('"""Convert a Roman numeral to an integer."""', "# roman")
    copied = copied.replace("def roman_to_int(", "def roman_value(")
    renamed = builtin["roman_to_int"].spec.model_copy(update={"name": "roman_value"})
    library.add(renamed, copied, {"status": "verified"}, "m", "0")
    library.add(COUNT_WORDS, COUNT_WORDS_CODE, {"status": "verified"}, "m", "0")
    names = [tool.spec.name for tool in retrieval_pool(library)]
    assert names.count("slugify") == 1
    assert "roman_value" in names and "roman_to_int" not in names  # the user's copy stands for both
    assert "count_words" in names and len(names) == len(builtin) + 1
    assert [tool.spec.name for tool in retrieval_pool(None)] == sorted(builtin)  # no library: the built-ins
