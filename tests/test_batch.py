"""Batches: bounded concurrency, resume, a clean Ctrl-C, and the run's reports."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import (
    DOUBLE_SPEC,
    GOOD_DOUBLE,
    GOOD_SLUGIFY,
    SLUG_SPEC,
    WRONG_DOUBLE,
    cli,
    numbered_replies,
    numbered_specs,
    requires_sandbox,
    scripted_model,
    write_specs,
)
from toolfoundry.batch import BatchRunner
from toolfoundry.checks import NotRun
from toolfoundry.errors import ConfigError
from toolfoundry.evidence import Evidence
from toolfoundry.generate import ContextBuilder, FallbackPolicy, LLMCodeGenerator, PromptBuilder, repair
from toolfoundry.generate.prompting import PROMPT_VERSION
from toolfoundry.models.base import Completion, CompletionRequest
from toolfoundry.models.scripted import ScriptedModel, tool_asked_for
from toolfoundry.report import ToolReport
from toolfoundry.service import LLMService
from toolfoundry.spec import ToolSpecificationParser

COMPACT = f"{PROMPT_VERSION}-compact"  # the prompt version a compact-style run records


def test_a_per_tool_script_answers_each_tool_with_its_own_replies() -> None:
    model = ScriptedModel({"slugify": ["s1", "s2"], "double": ["d1"]})

    def ask(raw: dict) -> str:
        spec = ToolSpecificationParser().parse(raw)
        request = CompletionRequest(
            messages=PromptBuilder().build_prompt(spec, ContextBuilder().build_context(spec)).messages
        )
        assert tool_asked_for(request) == spec.name
        return asyncio.run(model.complete(request)).text

    assert [ask(DOUBLE_SPEC), ask(SLUG_SPEC), ask(DOUBLE_SPEC), ask(SLUG_SPEC), ask(SLUG_SPEC)] == [
        "d1",
        "s1",
        "d1",
        "s2",
        "s2",
    ]
    other = {**DOUBLE_SPEC, "name": "triple"}
    with pytest.raises(Exception, match="no replies scripted for tool 'triple'"):
        ask(other)


class InFlightCounter(ScriptedModel):
    """Counts calls in progress at once; the first calls wait (up to a minute) until `gather` are in flight.

    Waiting for the others, not a fixed latency, is what makes the overlap certain: on a loaded machine the work
    before one tool's call can outlast another tool's whole call, and a timed overlap then never happens."""

    def __init__(self, *args, gather: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = self.peak = 0
        self.gather = gather
        self.gathered = asyncio.Event()

    async def complete(self, request: CompletionRequest) -> Completion:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.peak >= self.gather:
            self.gathered.set()
        try:
            if not self.gathered.is_set():
                with contextlib.suppress(TimeoutError):  # then the peak assertion says what went wrong
                    await asyncio.wait_for(self.gathered.wait(), timeout=60)
            return await super().complete(request)
        finally:
            self.in_flight -= 1


@requires_sandbox
def test_specs_run_concurrently_up_to_the_limit_and_no_further(tmp_path: Path) -> None:
    specs = [ToolSpecificationParser().parse(spec) for spec in numbered_specs(7)]
    model = InFlightCounter(numbered_replies(7), gather=3, latency_s=0.2)
    generator = LLMCodeGenerator.create(model=model, policy=FallbackPolicy(rounds=1, samples_per_round=1))
    seen: list[tuple[str, str]] = []
    runner = BatchRunner(generator, tmp_path, concurrency=3, on_change=lambda s: seen.append((s.tool, s.state)))
    summaries = asyncio.run(runner.run(specs))
    assert model.peak == 3  # overlapped, and never more than asked
    assert [summary.status for summary in summaries] == ["verified"] * 7
    assert all((tmp_path / f"add_{index}.py").is_file() for index in range(7))
    for index in range(7):  # every tool went queued -> generating -> done, in that order
        states = [state for tool, state in seen if tool == f"add_{index}"]
        assert states[0] == "queued" and states[-1] == "done" and "generating" in states


@requires_sandbox
def test_a_second_run_skips_tools_verified_with_the_same_spec_and_model(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", SLUG_SPEC, DOUBLE_SPEC)
    model = scripted_model(tmp_path / "replies.yaml", {"slugify": [GOOD_SLUGIFY], "double": [WRONG_DOUBLE]})
    out = tmp_path / "tools"
    first = cli("generate", specs, "-o", out, "--model", model, "--no-library", "--rounds", "1", "--samples", "1")
    assert first.exit_code == 1, first.output
    written = (out / "slugify.py").stat().st_mtime_ns

    second = cli("generate", specs, "-o", out, "--model", model, "--no-library", "--rounds", "1", "--samples", "1")
    assert second.exit_code == 1
    tools = {tool["tool"]: tool for tool in json.loads((out / "report.json").read_text())["tools"]}
    assert tools["slugify"]["state"] == "skipped" and tools["slugify"]["tokens"] == 0
    assert tools["double"]["state"] == "done" and tools["double"]["status"] == "unverified"  # not verified: tried again
    assert (out / "slugify.py").stat().st_mtime_ns == written
    assert json.loads((out / "report.json").read_text())["summary"]["skipped"] == 1

    # A changed spec, another model, or --no-resume: generated again.
    (specs / "slugify.yaml").write_text(yaml.safe_dump({**SLUG_SPEC, "description": "A URL slug of a title."}))
    third = cli("generate", specs, "-o", out, "--model", model, "--no-library", "--json")
    assert {t["tool"]: t["state"] for t in json.loads(third.stdout)["tools"]}["slugify"] == "done"
    other_model = scripted_model(tmp_path / "other.yaml", {"slugify": [GOOD_SLUGIFY], "double": [GOOD_DOUBLE]})
    fourth = cli("generate", specs, "-o", out, "--model", other_model, "--no-library", "--json")
    assert [t["state"] for t in json.loads(fourth.stdout)["tools"]] == ["done", "done"]
    fifth = cli("generate", specs, "-o", out, "--model", other_model, "--no-library", "--json")
    assert [t["state"] for t in json.loads(fifth.stdout)["tools"]] == ["skipped", "skipped"]
    assert fifth.exit_code == 0
    sixth = cli("generate", specs, "-o", out, "--model", other_model, "--no-library", "--no-resume", "--json")
    assert [t["state"] for t in json.loads(sixth.stdout)["tools"]] == ["done", "done"]


def _toolfoundry() -> str:
    return str(Path(sys.executable).parent / "toolfoundry")


RESET_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); os.execv(sys.argv[1], sys.argv[1:])"
)


@requires_sandbox
def test_ctrl_c_stops_cleanly_and_keeps_every_finished_tool(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", *numbered_specs(6))
    out = tmp_path / "tools"
    model = scripted_model(tmp_path / "replies.yaml", numbered_replies(6), latency_s=1.5)
    command = [_toolfoundry(), "generate", str(specs), "-o", str(out), "--model", model, "--concurrency", "1"]
    # Started as a terminal starts it: Ctrl-C neither ignored nor blocked, whatever this test process inherited or
    # was left with by earlier tests (in the whole suite on a clean clone it had been ignored: the run finished).
    command = [sys.executable, "-c", RESET_SIGINT, *command]
    # Its own session, so Ctrl-C reaches the whole process group, sandboxes included, as in a terminal.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        # Specs start together and take the one call slot in no set order: wait for whichever ends first.
        while not (first := sorted(out.glob("add_*.report.json"))):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the first tool never finished"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, (stdout, stderr, f"SIGINT in the test process: {signal.getsignal(signal.SIGINT)}")
    assert "interrupted" in stderr and "Traceback" not in stderr
    done = first[0].name.removesuffix(".report.json")
    assert json.loads(first[0].read_text())["status"] == "verified"
    assert f"def {done}(n: int) -> int:" in (out / f"{done}.py").read_text()
    run_report = json.loads((out / "report.json").read_text())
    assert run_report["interrupted"] is True
    assert run_report["summary"]["verified"] >= 1 and run_report["summary"]["not_finished"] >= 1
    assert (out / "report.html").is_file()
    for name in os.listdir(out):  # nothing half-written: every file is a whole module or report
        assert not name.startswith("."), name
        if name.endswith(".json"):
            json.loads((out / name).read_text())
    unfinished = [tool["tool"] for tool in run_report["tools"] if tool["state"] in {"queued", "generating"}]
    assert unfinished and not any((out / f"{name}.py").exists() for name in unfinished)

    # The next run picks up where it stopped: finished tools are skipped, the rest generated.
    rerun = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300)
    states = {tool["tool"]: tool["state"] for tool in json.loads(rerun.stdout)["tools"]}
    assert states[done] == "skipped" and all(states[name] == "done" for name in unfinished)


@requires_sandbox
def test_the_prompt_style_follows_the_model_and_a_new_style_is_not_skipped(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", SLUG_SPEC)
    model = scripted_model(tmp_path / "replies.yaml", {"slugify": [GOOD_SLUGIFY]})
    out = tmp_path / "tools"
    common = ("--model", model, "--no-library", "--json")
    first = cli("generate", specs, "-o", out, *common, "--prompt-style", "compact")
    assert first.exit_code == 0, first.output
    report = json.loads((out / "slugify.report.json").read_text())
    assert report["prompt_version"] == COMPACT and json.loads(first.stdout)["prompt_version"] == COMPACT
    again = cli("generate", specs, "-o", out, *common, "--prompt-style", "compact")
    assert [t["state"] for t in json.loads(again.stdout)["tools"]] == ["skipped"]
    full = cli("generate", specs, "-o", out, *common)  # a scripted model prefers the full prompt
    assert [t["state"] for t in json.loads(full.stdout)["tools"]] == ["done"]
    assert json.loads((out / "slugify.report.json").read_text())["prompt_version"] == PROMPT_VERSION


@requires_sandbox
def test_a_model_that_prefers_the_compact_prompt_gets_it_and_its_replies_by_tool() -> None:
    model = ScriptedModel({"slugify": [GOOD_SLUGIFY]}, prompt_style="compact", keep_requests=5)
    generator = LLMCodeGenerator.create(model=model, llm_service=LLMService(), library=None)
    tool = asyncio.run(generator.generate_code(ToolSpecificationParser().parse(SLUG_SPEC)))
    assert tool.status == "verified" and tool.report.prompt_version == COMPACT
    (request,) = model.requests
    assert [message.role for message in request.messages] == ["user"]
    assert request.messages[0].content.startswith("Write this Python function:")
    assert tool_asked_for(request) == "slugify"
    assert tool.report.context["similar_tools"] == []  # none was in the prompt, so the report names none


def test_a_scripted_file_with_a_bare_mapping_says_what_it_must_hold(tmp_path: Path) -> None:
    path = tmp_path / "replies.yaml"
    path.write_text(yaml.safe_dump({"slugify": ["```python\ndef slugify(text): ...\n```"]}))
    with pytest.raises(ConfigError, match=r"a mapping at the top must hold `replies:`"):
        ScriptedModel.from_file(path)


@requires_sandbox
def test_an_unexpected_error_ends_only_its_own_tool_and_the_console_shows_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_extract = repair.extract_code

    def extract_with_a_bug(reply: str, function_name: str | None = None):
        if function_name == "double":
            raise RuntimeError("a bug of ours, in one tool")
        return real_extract(reply, function_name)

    monkeypatch.setattr(repair, "extract_code", extract_with_a_bug)
    specs = write_specs(tmp_path / "specs", SLUG_SPEC, DOUBLE_SPEC)
    model = scripted_model(tmp_path / "replies.yaml", {"slugify": [GOOD_SLUGIFY], "double": [GOOD_DOUBLE]})
    out = tmp_path / "tools"
    result = cli("generate", specs, "-o", out, "--model", model, "--no-library")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "failed\tdouble" in result.stdout and "RuntimeError: a bug of ours, in one tool" in result.stdout
    assert "2 tool(s): 1 verified, 0 unverified, 0 stub, 1 failed" in result.stderr
    report = json.loads((out / "double.report.json").read_text())
    assert report["status"] == "failed" and report["reason"] == "RuntimeError: a bug of ours, in one tool"
    assert "Traceback" in report["traceback"] and "extract_with_a_bug" in report["traceback"]  # for a bug report
    assert not (out / "double.py").exists()
    assert json.loads((out / "slugify.report.json").read_text())["status"] == "verified"
    run = json.loads((out / "report.json").read_text())
    assert run["summary"]["failed"] == 1 and run["summary"]["verified"] == 1
    assert {tool["tool"]: tool["status"] for tool in run["tools"]} == {"slugify": "verified", "double": "failed"}


def test_an_error_we_meant_is_a_failure_without_a_traceback(tmp_path: Path) -> None:
    spec = ToolSpecificationParser().parse(SLUG_SPEC)
    generator = LLMCodeGenerator.create(ScriptedModel([ConfigError("no such thing")]), library=None)
    summaries = asyncio.run(BatchRunner(generator, tmp_path).run([spec]))
    assert [(summary.state, summary.status) for summary in summaries] == [("failed", "failed")]
    report = json.loads((tmp_path / "slugify.report.json").read_text())
    assert report["reason"] == "ConfigError: no such thing" and report["traceback"] == ""


class Watched:
    """A generator seen only through what is asked of it: every attribute read is recorded; none may be set."""

    def __init__(self, generator: LLMCodeGenerator) -> None:
        object.__setattr__(self, "_generator", generator)
        object.__setattr__(self, "asked", set())

    def __getattr__(self, name: str):
        self.asked.add(name)
        return getattr(self._generator, name)

    def __setattr__(self, name: str, value) -> None:
        raise AssertionError(f"the batch set {name!r} on its generator")


def test_a_batch_asks_its_generator_only_for_its_identity_its_snapshot_and_a_generation(tmp_path: Path) -> None:
    """A batch lends, it does not reach in: through a tool skipped, a tool failed, a tool made and the run's files,
    it reads nothing of the generator but its public identity, snapshot and generate_code."""
    slugify, double, add = (
        ToolSpecificationParser().parse(raw) for raw in (SLUG_SPEC, DOUBLE_SPEC, *numbered_specs(1))
    )
    model = ScriptedModel({"double": [ConfigError("no such thing")], "add_0": ["no code"]})
    generator = LLMCodeGenerator.create(
        model, policy=FallbackPolicy(rounds=1, samples_per_round=1), runner=NotRun("not needed"), library=None
    )
    identity = generator.identity
    verified_before = ToolReport(
        tool="slugify",
        status="verified",
        spec_hash=slugify.spec_hash(),
        model=identity.model,
        prompt_version=identity.prompt_version,
        evidence=Evidence(policy=identity.evidence_options),
    )
    (tmp_path / "slugify.report.json").write_text(verified_before.to_json())
    (tmp_path / "slugify.py").write_text("def slugify(text): ...\n")
    watched = Watched(generator)
    runner = BatchRunner(watched, tmp_path)  # type: ignore[arg-type]  # the batch meets it as a generator
    summaries = asyncio.run(runner.run([slugify, double, add]))
    run = runner.write_run_files([slugify, double, add], ["module"], 0.0, interrupted=False)
    assert [summary.state for summary in summaries] == ["skipped", "failed", "done"]
    assert run["model"] == identity.model and run["prompt_version"] == identity.prompt_version
    assert watched.asked == {"identity", "snapshot", "generate_code"}


def test_what_a_killed_run_left_half_written_is_cleared_before_the_next(tmp_path: Path) -> None:
    left = tmp_path / ".slugify.py.k2j3h4g5.partial"
    left.write_text("def slugify(text")
    kept = tmp_path / "notes.partial.txt"
    kept.write_text("the user's")
    generator = LLMCodeGenerator.create(ScriptedModel(["no code"]), library=None)
    asyncio.run(BatchRunner(generator, tmp_path).run([ToolSpecificationParser().parse(SLUG_SPEC)]))
    assert not left.exists() and kept.exists()
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".*.partial"))
