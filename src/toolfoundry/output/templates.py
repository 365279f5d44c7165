"""The one Jinja2 environment every template renders in: prompts (`prompts/`), tool modules and targets
(`templates/`), and the HTML report (`templates/*.html.j2`, the only ones autoescaped).

StrictUndefined everywhere: a typo in a template fails loudly instead of rendering as an empty string. No
template keeps its final newline: a prompt ends where its text does; writers of files add one.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2

from ..spec.schema import admits_null


def _json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False)


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


@functools.cache
def environment() -> jinja2.Environment:
    """Shared and cached: templates are compiled once per process, whichever stage renders them."""
    templates = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader("toolfoundry", "templates"), jinja2.PackageLoader("toolfoundry", "prompts")]
        ),
        # Model-written code reaches the HTML page: escaped there, never markup. Python and prompts are not HTML.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    templates.filters["py"] = repr
    templates.filters["json"] = _json
    templates.filters["money"] = _money
    templates.globals["admits_null"] = admits_null
    return templates


def render(template: str, **variables: Any) -> str:
    return environment().get_template(template).render(**variables)
