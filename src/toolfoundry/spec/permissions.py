"""Permissions: what a tool may touch beyond pure computation, as its spec declares them. Nothing is guessed:
a tool that declares nothing gets no files and no network, whatever its description says."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# `*` stands for any public host (the server refuses loopback and private addresses for it).
_HOST = r"\*|[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]"
_HOST_PORT = re.compile(rf"^(?P<host>{_HOST}):(?P<port>\d{{1,5}})$")


def host_port_problem(value: str) -> str | None:
    """Why `value` is not a `host:port` a tool may be allowed to reach, or None when it is."""
    match = _HOST_PORT.match(value)
    if not match or not 0 < int(match["port"]) < 65536:
        return f"{value!r} is not host:port (e.g. api.github.com:443, 127.0.0.1:8080, or *:443 for any public host)"
    return None


class Permissions(BaseModel):
    """What a tool may touch beyond pure computation. Nothing declared: nothing but computation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    network: list[str] = Field(default_factory=list, description="host:port pairs the tool may connect to")
    filesystem: Literal["none", "read", "write"] = "none"
    paths: list[str] = Field(
        default_factory=list,
        description="directories the tool may touch when served (read-only for `read`); in the checks, the "
        "example's working folder",
    )

    @field_validator("network")
    @classmethod
    def _host_ports(cls, values: list[str]) -> list[str]:
        for value in values:
            if problem := host_port_problem(value):
                raise ValueError(problem)
        return values

    @field_validator("paths")
    @classmethod
    def _paths_are_written(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.strip() or "\0" in value:
                raise ValueError(f"{value!r} is not a directory path")
        return values

    @model_validator(mode="after")
    def _paths_need_filesystem(self) -> Permissions:
        if self.paths and self.filesystem == "none":
            raise ValueError("`paths` are given but `filesystem` is 'none'; say `filesystem: read` or `write`")
        return self
