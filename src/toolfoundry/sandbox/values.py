"""Values as both sides of the sandbox see them: a return value made JSON-able (`normalise`), and whether a value
fits an output type's tree (`type_problem`; the trees are made by the host, evidence/types.py).

Standard library only: the sandbox imports this very file (shipped beside the harness as `_toolfoundry.values`),
the host imports it as `toolfoundry.sandbox.values`, so a served call, a probe and a spec-derived test are judged
by one reading of the types.
"""

import math


def normalise(value, depth=0):
    """A JSON-able form of a return value: tuples and sets become lists, unknown objects their repr."""
    if depth > 50:
        return {"__repr__": "<too deep>"}
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, list | tuple):
        return [normalise(item, depth + 1) for item in value]
    if isinstance(value, set | frozenset):
        items = [normalise(item, depth + 1) for item in value]
        try:  # noqa: SIM105 (contextlib would cost every sandbox start an import)
            items.sort()
        except TypeError:
            pass  # mixed types keep their order
        return items
    if isinstance(value, dict):
        return {str(key): normalise(item, depth + 1) for key, item in value.items()}
    return {"__repr__": repr(value)[:500]}


def type_problem(value, tree, where="the result"):
    """Why `value` does not fit the type tree (see evidence/types.py), or "" when it does. JSON's view:
    a list and a tuple are both sequences; a float accepts an int; a bool is not an int."""
    kind = tree[0]
    if kind in ("any", "callable"):
        return ""
    if kind == "union":
        problems = [type_problem(value, member, where) for member in tree[1]]
        return "" if "" in problems else f"{where} is {type(value).__name__}, which fits none of the union"
    if kind == "literal":
        return (
            ""
            if any(value == option and type(value) is type(option) for option in tree[1])
            else (f"{where} is {value!r:.80}, not one of the Literal's values")
        )
    simple = {"none": (type(None),), "str": (str,), "bytes": (bytes,), "bool": (bool,), "int": (int,)}
    if kind == "float":
        simple["float"] = (int, float)
    containers = {"list": (list, tuple), "tuple*": (list, tuple), "tuple": (list, tuple), "set": (set, frozenset)}
    expected = simple.get(kind) or containers.get(kind) or (dict,)
    if not isinstance(value, expected) or (kind in ("int", "float") and isinstance(value, bool)):
        return f"{where} is {type(value).__name__}, not {kind.rstrip('*')}"
    if kind == "tuple":
        if len(value) != len(tree[1]):
            return f"{where} has {len(value)} items, not {len(tree[1])}"
        pairs = enumerate(zip(value, tree[1], strict=True))
        items = [(item, member, f"{where}[{index}]") for index, (item, member) in pairs]
    elif kind == "dict":
        items = [(item, tree[2], f"{where}[{key!r:.40}]") for key, item in value.items()]
        items += [(key, tree[1], f"a key of {where}") for key in value]
    elif kind in containers:
        items = [(item, tree[1], f"an item of {where}") for item in value]
    else:
        return ""
    for item, member, place in items[:1000]:
        problem = type_problem(item, member, place)
        if problem:
            return problem
    return ""


def json_view(tree):
    """A type tree as JSON values meet it: a set arrives as a list."""
    kind = tree[0]
    if kind == "set":
        return ["list", json_view(tree[1])]
    if kind in {"list", "tuple*"}:
        return [kind, json_view(tree[1])]
    if kind in {"tuple", "union"}:
        return [kind, [json_view(member) for member in tree[1]]]
    if kind == "dict":
        return ["dict", json_view(tree[1]), json_view(tree[2])]
    return tree
