from toolfoundry.generate import extract_code


def test_fenced_code_with_prose_around_it() -> None:
    reply = "Here you go:\n\n```python\ndef f(x):\n    return x\n```\n\nThis returns x."
    extracted = extract_code(reply, "f")
    assert extracted.code == "def f(x):\n    return x"
    assert extracted.how == "fenced"


def test_the_block_defining_the_function_wins_and_import_blocks_join_it() -> None:
    reply = (
        "```python\nimport re\n```\nthen\n```python\nprint(f('a'))\n```\nand\n"
        "```python\ndef f(s):\n    return re.sub('a', 'b', s)\n```\n```json\n{\"a\": 1}\n```"
    )
    code = extract_code(reply, "f").code
    assert code == "import re\ndef f(s):\n    return re.sub('a', 'b', s)"


def test_missing_closing_fence_takes_the_rest() -> None:
    extracted = extract_code("```python\ndef f():\n    return 1\n", "f")
    assert extracted.code == "def f():\n    return 1"
    assert extracted.how == "fenced-unclosed"


def test_bare_code_after_prose_and_prose_after_code_is_dropped() -> None:
    reply = "Sure! Here is the function.\nimport math\ndef f(x):\n    return math.sqrt(x)\nThis uses math."
    extracted = extract_code(reply, "f")
    assert extracted.code == "import math\ndef f(x):\n    return math.sqrt(x)"
    assert extracted.how == "bare"


def test_a_reply_with_no_code_at_all() -> None:
    extracted = extract_code("I cannot help with that, but here is an idea: use a loop.", "f")
    assert extracted.code is None and extracted.how == "none"


def test_tilde_fences_and_untagged_fences() -> None:
    assert extract_code("~~~\ndef f():\n    pass\n~~~", "f").code == "def f():\n    pass"
