"""What crosses the sandbox's boundary: the job the host hands the harness, the records the harness writes back,
and the one text for a run that ended without them. One module on both sides, so one name means one thing.

Standard library only: the sandbox imports this very file (shipped beside the harness as `_toolfoundry.protocol`)
and the host imports it as `toolfoundry.sandbox.protocol`. The record and job shapes are TypedDicts for the
host's type checks alone: `typing` would cost every sandbox start 12 ms, and inside the records are plain dicts.
"""

from __future__ import annotations

# A record's status: what one call of the function did.
RETURNED = "returned"  # with `value` (normalised), `repr`; a probe's with `digest`, `same`, `type_problem`
RAISED = "raised"  # with `exception`, `mro`, `message`, `traceback`
TIMEOUT = "timeout"  # the per-call timer fired
IMPORT_ERROR = "import-error"  # the module could not be loaded; the record's index is IMPORT_FAILED
BUDGET = "budget"  # a probe record: the probes' time budget was spent before this one
UNANSWERED = "unanswered"  # a probe's requests left the recorded exchanges (`requests`): nothing to judge it by
IMPORT_FAILED = -1
# In a record's `files_after` (relative path -> {"base64"} | {"size", "sha256"} | {"link"}): the key no path can
# be, under which the harness says why the listing is not whole.
LISTING_CUT = ""
MESSAGE_CHARS = 1000


def safe_str(error: BaseException) -> str:
    """The exception's message; an exception whose __str__ raises says so instead."""
    try:
        return str(error)
    except BaseException:
        return f"<{type(error).__name__} whose message could not be read>"


def raised(error: BaseException) -> Record:
    """The record of a call that raised `error` (the harness adds the traceback it can read)."""
    return {
        "status": RAISED,
        "exception": type(error).__name__,
        "mro": [cls.__name__ for cls in type(error).__mro__],
        "message": safe_str(error)[:MESSAGE_CHARS],
    }


def ended(timed_out: bool, exit_code: int | None, wall_seconds: float, output_bytes: int) -> str:
    """How a run ended that left records missing: what the checks' reports and a served call's error both say."""
    if timed_out:
        return f"wall-clock limit of {wall_seconds:g}s"
    if exit_code is not None and exit_code < 0:
        return f"killed by signal {-exit_code}: a CPU, memory or file-size limit"
    if exit_code == 0:  # the harness finished: what it wrote was cut at the output limit
        return f"its result did not fit the output limit of {output_bytes // 1024} KiB"
    return f"the sandbox exited with status {exit_code}"


if __name__ != "_toolfoundry.protocol":  # the host: shapes for its type checks (the sandbox skips `typing`)
    from typing import Any, TypedDict

    class Record(TypedDict, total=False):
        """One line the harness writes: an example's (`index`) or a probe's (`probe`) outcome."""

        index: int
        probe: int
        status: str
        value: Any
        repr: str
        exception: str
        mro: list[str]
        message: str
        traceback: str
        digest: str  # a probe's: hash of its normalised result, to compare candidates
        same: bool  # a probe's: both calls on fresh copies of the input gave that result
        type_problem: str  # a probe's: why the result breaks the output type, or ""
        requests: list[str]  # an unanswered probe's: what it asked that no exchange answers
        files_after: dict[str, dict[str, Any]]  # what the call's folder held afterwards, when the job asked
        http: dict[str, list[Any]]  # `unrecorded` requests ("GET https://..."), `unplayed` exchange indexes

    class Call(TypedDict, total=False):
        """One example or probe in a job: its input, the files it starts with, and where it runs."""

        index: int
        input: dict[str, Any]
        files: dict[str, Any]  # relative path -> text, or {"base64": ...}
        folder: str | None  # a served call's working directory; otherwise a folder of its own
        read_back: bool  # report what the folder holds after the call (`files_after`)
        http: list[dict[str, Any]]  # recorded exchanges that answer its requests (sandbox/replay.py)

    class Forward(TypedDict):
        """A host:port inside the sandbox relayed to a Unix socket of the parent's."""

        host: str
        port: int
        socket: str

    class Job(TypedDict, total=False):
        """What the harness reads from stdin: the code and what to call it on, with the run's settings."""

        code: str
        function: str
        examples: list[Call]
        probes: list[Call]
        returns: list[Any]  # the output type's tree (values.type_problem)
        forwards: list[Forward]
        environ: dict[str, str]
        nonce: str
        probe_seconds: float
        limits: dict[str, int]
        example_timeout: float
        workdir: str
        sys_path: list[str]
