"""Where keys and defaults come from: the environment first, then a config file. Never the command line.

The config file is TOML, at $TOOLFOUNDRY_CONFIG or the user config folder (e.g. ~/.config/toolfoundry/config.toml):

    openai_api_key = "..."
    anthropic_api_key = "..."
    openai_compatible_api_key = "..."   # sent only to openai-compatible servers, never OpenAI's key

    [limits.openai]                     # per provider: openai, anthropic, ollama, openai-compatible:<url>
    max_concurrent = 4
    requests_per_minute = 500
    tokens_per_minute = 200000
    failure_threshold = 5               # circuit breaker
    cooldown_s = 30
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

import platformdirs

from .errors import ConfigError


def config_path() -> Path:
    explicit = os.environ.get("TOOLFOUNDRY_CONFIG")
    return Path(explicit) if explicit else Path(platformdirs.user_config_dir("toolfoundry")) / "config.toml"


@cache
def _config_file(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        # The message names the file and the problem, never a value from it.
        raise ConfigError(f"config file {path} cannot be read: {type(error).__name__}") from None


def setting(environment_variable: str, config_key: str) -> str | None:
    """A setting from the environment, else from the config file, else None."""
    value = os.environ.get(environment_variable)
    if value:
        return value
    found = _config_file(config_path()).get(config_key)
    return str(found) if found else None


def default_cache_path() -> Path:
    return Path(
        os.environ.get("TOOLFOUNDRY_CACHE") or Path(platformdirs.user_cache_dir("toolfoundry")) / "responses.sqlite3"
    )


def provider_limits() -> dict[str, dict[str, float]]:
    """The `[limits.<provider>]` tables of the config file, checked for known keys and numbers."""
    path = config_path()
    table = _config_file(path).get("limits", {})
    known = {"max_concurrent", "requests_per_minute", "tokens_per_minute", "failure_threshold", "cooldown_s"}
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [limits] must hold one table per provider")
    for provider, values in table.items():
        if not isinstance(values, dict):
            raise ConfigError(f"config file {path}: limits.{provider} must be a table")
        for key, value in values.items():
            if key not in known or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(
                    f"config file {path}: limits.{provider}.{key}: expected a positive number for "
                    f"one of {sorted(known)}"
                )
    return table
