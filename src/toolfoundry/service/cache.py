"""Response cache: SQLite from the standard library, JSON values only (never pickle).

Keyed on a hash of the model string, the messages, every sampling parameter and the prompt-template version.
Only deterministic requests (temperature 0 or a fixed seed) are cached, so a hit returns what the model would.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from ..errors import redact
from ..models.base import Completion, CompletionRequest

SCHEMA_VERSION = 1


def is_cacheable(request: CompletionRequest) -> bool:
    return request.temperature == 0 or request.seed is not None


def cache_key(model: str, request: CompletionRequest, prompt_version: str) -> str:
    material = {
        "schema": SCHEMA_VERSION,
        "model": model,
        "prompt_version": prompt_version,
        "request": request.model_dump(mode="json", exclude={"timeout_s"}),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class ResponseCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
                "created REAL NOT NULL, completion TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        # One short-lived connection per operation: safe across threads and concurrent processes.
        return sqlite3.connect(self.path, timeout=30)

    def get(self, key: str) -> Completion | None:
        with self._connect() as connection:
            row = connection.execute("SELECT completion FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return Completion.model_validate_json(row[0])

    def put(self, key: str, completion: Completion) -> None:
        # Replies are prompts' answers and never hold keys; redacting is a guard against a model echoing one.
        stored = completion.model_copy(update={"text": redact(completion.text)})
        with self._connect() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                (key, completion.model, time.time(), stored.model_dump_json()),
            )

    def stats(self) -> dict[str, object]:
        with self._connect() as connection:
            entries, models = connection.execute("SELECT COUNT(*), COUNT(DISTINCT model) FROM responses").fetchone()
        return {
            "path": str(self.path),
            "entries": entries,
            "models": models,
            "bytes": self.path.stat().st_size if self.path.exists() else 0,
            "hits": self.hits,
            "misses": self.misses,
        }

    def clear(self) -> int:
        with self._connect() as connection:
            removed = connection.execute("DELETE FROM responses").rowcount
        with self._connect() as connection:
            connection.execute("VACUUM")
        return removed
