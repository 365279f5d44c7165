"""`--oracle module:function`: answers from a reference implementation, as a person would give them.

What a user porting an old function wants (the old one answers every question), and what the benchmark uses
as a simulated person. The oracle is the user's own code, named by them: it runs in this process (not in the
sandbox), each call in a fresh working folder holding the files the asked input was probed with (its base
example's `files`), so a file tool's answers see what the candidates saw and never touch the user's files.
An exception of a class the spec declares, or a ValueError or TypeError (what a function raises on purpose
to refuse an input: `top_n(n=-1)`; for a file tool also FileNotFoundError and its kin), is an answer
(`raises ValueError`, which the example then declares); any other is the oracle failing (a KeyError, an
AttributeError: a crash, not a decision), and that tool is left as it was.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import inspect
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ReviewError
from ..spec import ToolSpec
from ..spec.example import content_bytes
from .answers import Given

Oracle = Callable[..., Any]
REFUSALS = {"ValueError", "TypeError"}  # raised on purpose to refuse an input, declared or not
# And for a tool that touches files, what refusing a path is: a file that is not there, a folder, no right.
FILE_REFUSALS = {"FileNotFoundError", "IsADirectoryError", "NotADirectoryError", "FileExistsError", "PermissionError"}


def load_oracle(target: str) -> Oracle:
    """`package.module:function`, or `path/to/file.py:function`; ReviewError when it names nothing callable."""
    module_name, _, function = target.rpartition(":")
    if not module_name or not function:
        raise ReviewError(f"--oracle {target!r}: give it as module:function or path/to/file.py:function")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            name = f"toolfoundry_oracle_{path.stem}"
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None or not path.is_file():
                raise ReviewError(f"--oracle {target!r}: {path} is no Python file")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # dataclasses and pickling look their module up there
            spec.loader.exec_module(module)
        else:
            # A module beside where the command runs, as `python -m` finds it; for this import only, so that
            # nothing in the working folder shadows what is imported later.
            sys.path.insert(0, "")
            try:
                module = importlib.import_module(module_name)
            finally:
                sys.path.remove("")
    except ReviewError:
        raise
    except Exception as error:  # the user's module failing to import is their error, said plainly
        raise ReviewError(f"--oracle {target!r}: importing it failed: {type(error).__name__}: {error}") from None
    found = getattr(module, function, None)
    if not callable(found):
        raise ReviewError(f"--oracle {target!r}: {module_name} has no function {function!r}")
    return found


def ask_oracle(oracle: Oracle, spec: ToolSpec, call_input: dict[str, Any], call: str, example: int = -1) -> Given:
    """The oracle's answer for one input; ReviewError when its parameters do not take the input, or it raised
    what the spec does not declare."""
    try:  # a call that cannot bind raises TypeError too, and that is no refusal: the oracle does not fit
        inspect.signature(oracle).bind(**call_input)
    except TypeError as error:
        raise ReviewError(f"the oracle does not take {spec.name}'s parameters: {error}") from None
    except ValueError:
        pass  # no signature to read (a builtin): the call says
    declared = set(spec.declared_exceptions) | REFUSALS
    declared |= FILE_REFUSALS if spec.permissions.filesystem != "none" else set()
    files = spec.examples[example].files if 0 <= example < len(spec.examples) else {}
    with tempfile.TemporaryDirectory(prefix="toolfoundry-oracle-") as folder, contextlib.chdir(folder):
        for name, content in files.items():  # paths a spec allows: relative, inside (spec/example.py)
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_bytes(content_bytes(content))
        try:
            value = oracle(**copy.deepcopy(call_input))  # an oracle that mutates its input changes no question
        except Exception as error:
            name = type(error).__name__
            # Its own class, or the declared class it derives from (a JSONDecodeError is a declared ValueError).
            matched = next((cls.__name__ for cls in type(error).__mro__ if cls.__name__ in declared), None)
            if matched is not None:
                return Given(input=call_input, raises=matched, example=example)
            raise ReviewError(
                f"the oracle raised {name}: {str(error)[:200]} on {call[:200]}, which {spec.name} does not declare "
                f"(declare it in `raises:` if it is the answer); {spec.name} is left as it was"
            ) from None
    return Given(input=call_input, output=value, example=example)
