"""A local library of verified tools (SQLite, standard library): kept, versioned, reused and retrieved.

Only verified tools go in. The generator serves a stored tool with no model call when the one reuse rule keeps
it (report/reuse.py) and its checks pass again; similar ones feed its context (generate/retrieval.py). Writers
take an immediate transaction, so two runs adding at once lose nothing. A file from an older schema is migrated
in place; one from a newer toolfoundry is refused, never altered.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from ..errors import LibraryError
from ..spec import ToolSpec
from .verified import VerifiedTool

SCHEMA_VERSION = 2
# A person's decisions on serving a tool that can do harm (serve/approval.py), by the hashes of its code and
# spec: kept here as well as beside the module, so a decision outlives the folder it was made in. A table an
# older toolfoundry does not read and need not know of: made when missing, with no new schema version (which
# would lock older installs out of the library over a table they never touch).
_APPROVALS = (
    "CREATE TABLE IF NOT EXISTS approvals (id INTEGER PRIMARY KEY AUTOINCREMENT, tool TEXT NOT NULL, "
    "code_sha256 TEXT NOT NULL, spec_hash TEXT NOT NULL, decision TEXT NOT NULL, by TEXT NOT NULL, "
    "at TEXT NOT NULL, evidence TEXT NOT NULL)"
)
# Each step takes a library from the version before it to its own. Never edit a step once released.
MIGRATIONS: dict[int, list[str]] = {
    2: ["ALTER TABLE tools ADD COLUMN prompt_version TEXT NOT NULL DEFAULT ''"],
}
_CREATE = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tools (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
    "version INTEGER NOT NULL, spec_hash TEXT NOT NULL, spec TEXT NOT NULL, code TEXT NOT NULL, "
    "report TEXT NOT NULL, model TEXT NOT NULL, toolfoundry_version TEXT NOT NULL, created REAL NOT NULL, "
    "prompt_version TEXT NOT NULL DEFAULT '', UNIQUE (name, version))",
    "CREATE INDEX IF NOT EXISTS tools_by_hash ON tools (spec_hash)",
    _APPROVALS,
]


def default_library_path() -> Path:
    explicit = os.environ.get("TOOLFOUNDRY_LIBRARY")
    return Path(explicit) if explicit else Path(platformdirs.user_data_dir("toolfoundry")) / "library.sqlite3"


class ToolLibrary:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_library_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction() as connection:
            self._prepare(connection)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("BEGIN IMMEDIATE")  # one writer at a time; readers are never blocked
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise LibraryError(f"library {self.path} cannot be used: {error}") from None
        finally:
            connection.close()

    def _prepare(self, connection: sqlite3.Connection) -> None:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "tools" not in tables:
            for statement in _CREATE:
                connection.execute(statement)
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            return
        found = (
            connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if ("meta" in tables)
            else None
        )
        version = int(found[0]) if found else 1
        if version > SCHEMA_VERSION:
            raise LibraryError(
                f"library {self.path} was written by a newer toolfoundry (schema {version}; this one reads up to "
                f"{SCHEMA_VERSION}): upgrade toolfoundry or use another --library; the file was not changed"
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                connection.execute(statement)
        connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        connection.execute(_APPROVALS)

    def add(
        self, spec: ToolSpec, code: str, report: dict, model: str, toolfoundry_version: str, prompt_version: str = ""
    ) -> VerifiedTool:
        """Store a verified tool: a new version when its spec changed, nothing new when it did not."""
        if report.get("status") != "verified":
            raise LibraryError(f"{spec.name}: only verified tools go into the library (status {report.get('status')})")
        spec_hash = spec.spec_hash()
        with self._transaction() as connection:
            existing = connection.execute(
                "SELECT version FROM tools WHERE name = ? AND spec_hash = ? ORDER BY version DESC",
                (spec.name, spec_hash),
            ).fetchone()
            if existing is None:
                latest = connection.execute("SELECT MAX(version) FROM tools WHERE name = ?", (spec.name,)).fetchone()[0]
                connection.execute(
                    "INSERT INTO tools (name, version, spec_hash, spec, code, report, model, toolfoundry_version, "
                    "created, prompt_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        spec.name,
                        (latest or 0) + 1,
                        spec_hash,
                        spec.model_dump_json(),
                        code,
                        json.dumps(report),
                        model,
                        toolfoundry_version,
                        time.time(),
                        prompt_version,
                    ),
                )
        return self.find(spec_hash) or self.get(spec.name)

    def _rows(self, where: str = "", parameters: tuple = ()) -> list[VerifiedTool]:
        connection = sqlite3.connect(self.path, timeout=60)
        try:
            rows = connection.execute(
                "SELECT name, version, spec, code, report, model, toolfoundry_version, created FROM tools "
                f"{where} ORDER BY name, version",
                parameters,
            ).fetchall()
        finally:
            connection.close()
        return [
            VerifiedTool(
                spec=ToolSpec.model_validate_json(spec),
                code=code,
                version=version,
                model=model,
                report=json.loads(report),
                toolfoundry_version=tf_version,
                created=created,
            )
            for _name, version, spec, code, report, model, tf_version, created in rows
        ]

    def find(self, spec_hash: str) -> VerifiedTool | None:
        """The newest stored tool whose spec hashes the same, if any."""
        rows = self._rows("WHERE spec_hash = ?", (spec_hash,))
        return rows[-1] if rows else None

    def get(self, name: str, version: int | None = None) -> VerifiedTool:
        rows = self._rows("WHERE name = ?", (name,))
        if version is not None:
            rows = [row for row in rows if row.version == version]
        if not rows:
            which = f"{name} version {version}" if version is not None else name
            raise LibraryError(f"the library has no tool {which}")
        return rows[-1]

    def versions(self, name: str) -> list[VerifiedTool]:
        return self._rows("WHERE name = ?", (name,))

    def latest(self) -> list[VerifiedTool]:
        """The newest version of every tool."""
        newest: dict[str, VerifiedTool] = {}
        for row in self._rows():
            newest[row.name] = row
        return list(newest.values())

    def remove(self, name: str, version: int | None = None) -> int:
        with self._transaction() as connection:
            if version is None:
                removed = connection.execute("DELETE FROM tools WHERE name = ?", (name,)).rowcount
            else:
                removed = connection.execute(
                    "DELETE FROM tools WHERE name = ? AND version = ?", (name, version)
                ).rowcount
        if not removed:
            raise LibraryError(f"the library has no tool {name}" + (f" version {version}" if version else ""))
        return removed

    def record_decision(
        self, tool: str, code_sha256: str, spec_hash: str, decision: str, by: str, at: str, evidence: str
    ) -> None:
        """A person's decision on serving this code and spec (`approved` or `refused`)."""
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO approvals (tool, code_sha256, spec_hash, decision, by, at, evidence) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (tool, code_sha256, spec_hash, decision, by, at, evidence),
            )

    def decision(self, code_sha256: str, spec_hash: str) -> tuple[str, str, str] | None:
        """The latest decision on exactly this code and spec, who made it and when; None when there is none."""
        connection = sqlite3.connect(self.path, timeout=60)
        try:
            found = connection.execute(
                "SELECT decision, by, at FROM approvals WHERE code_sha256 = ? AND spec_hash = ? "
                "ORDER BY id DESC LIMIT 1",
                (code_sha256, spec_hash),
            ).fetchone()
        except sqlite3.DatabaseError as error:
            raise LibraryError(f"library {self.path} cannot be used: {error}") from None
        finally:
            connection.close()
        return (str(found[0]), str(found[1]), str(found[2])) if found else None
