"""What the tools of one folder may touch, checked together before anything is served.

Each tool's directories are bound by descriptor (sandbox.boundary.Bind), so a link swapped in later leads
nowhere. Two more rules close what a single tool's check cannot see:

- No declared directory lies inside a directory some tool may write (its own or another's). A write tool could
  rename the inner one away and leave a link in its place between two calls; bound by descriptor that link is
  harmless, but a rule that needs no such argument is the one to keep. Declaring the outer directory for both
  tools, or keeping them side by side, says the same thing without nesting.
- Nothing a tool may write holds the tools folder, a module or spec being served, or the Python that serves
  them: a write tool with `paths: ["."]` could otherwise rewrite its own TOOL_SPEC (or site-packages) and be
  served with wider permissions, or run on the host, after the next restart; nor does it hold the tool
  library, whose approvals a tool could otherwise write for itself. `--unsafe-writable-tools` is the
  named opt-out, for a folder whose tools are meant to edit it.
"""

from __future__ import annotations

import os
import site
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..library.store import default_library_path

if TYPE_CHECKING:
    from .catalog import ServedTool


def inside(path: str, folder: str) -> bool:
    """`path` is `folder` or lies below it (both absolute and normalised)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _protected(folder: Path, tools: list[ServedTool]) -> dict[str, str]:
    """Host paths no tool may write, each with what it is (for the message): the folder, every module and
    spec file in it (served or not, a link's target even where it does not exist yet, since a later `serve`
    would read it), and every place the serving Python imports from (an editable install's source too)."""
    places = {os.path.realpath(folder): "the tools folder"}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix in {".py", ".yaml", ".yml", ".json"}:
            kind = "module" if path.suffix == ".py" else "spec"
            places.setdefault(os.path.realpath(path), f"the {kind} {path.name}")
    for tool in tools:
        places.setdefault(os.path.realpath(tool.path), f"the module {tool.path.name}")
    # The library holds approvals: a tool that could write it could approve any code, its own included.
    library = default_library_path()
    places.setdefault(os.path.realpath(library.parent), f"the tool library's folder ({library.parent})")
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, site.getusersitepackages()}
    python.add(str(Path(__file__).resolve().parents[2]))  # toolfoundry's own code, where it is installed
    for place in sorted(python):
        if os.path.isdir(place):
            places.setdefault(os.path.realpath(place), "the Python installation that serves the tools")
    # Other import paths (PYTHONPATH, the working directory under `python -m`): a tool may write below one,
    # never the folder itself or above it, where it could leave a module the next start imports.
    for place in sys.path:
        if place and os.path.isdir(place):
            places.setdefault(os.path.realpath(place), "a folder the serving Python imports from")
    return places


def confinement_problems(folder: Path, tools: list[ServedTool], writable_tools: bool = False) -> list[str]:
    """Every way the tools' declared directories would let one tool reach past its permissions; [] when none."""
    problems: list[str] = []
    writable = [(tool, bind.host) for tool in tools for bind in tool.mounts if bind.writable]
    for tool in tools:
        for bind in tool.mounts:
            for writer, outer in writable:
                if bind.host != outer and inside(bind.host, outer):
                    problems.append(
                        f"{tool.path}: permissions.paths binds {bind.host}, which lies inside {outer}, a directory "
                        f"{writer.spec.name} may write: declare {outer} itself, or keep the two side by side"
                    )
    if not writable_tools:
        for writer, outer in writable:
            for place, what in _protected(folder, tools).items():
                python = what.startswith("the Python")
                if inside(place, outer) or (python and inside(outer, place)):
                    problems.append(
                        f"{writer.path}: may write {outer}, which holds {what} ({place}): a tool could rewrite "
                        "its own code or permissions; declare a folder of its own (--unsafe-writable-tools "
                        "allows it)"
                    )
    return list(dict.fromkeys(problems))
