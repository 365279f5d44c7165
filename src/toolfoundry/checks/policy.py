"""The AST policy's lists: what generated code may never import, call or touch, and what counts as file or
network access (allowed only as the spec's permissions say). The checks that apply them are in security.py."""

from __future__ import annotations

# Modules generated tools never import: process control, native code, code loading, interpreter internals.
FORBIDDEN_MODULES = frozenset(
    {
        "subprocess",
        "ctypes",
        "_ctypes",
        "cffi",
        "multiprocessing",
        "pty",
        "pickle",
        "marshal",
        "shelve",
        "importlib",
        "imp",
        "builtins",
        "code",
        "codeop",
        "gc",
        "inspect",
        "signal",
        "resource",
        "mmap",
        "fcntl",
        "posix",
        "nt",
        "_posixsubprocess",
        "_thread",
        "runpy",
        "pdb",
        "sysconfig",
        "site",
        "zipimport",
        "tracemalloc",
    }
)
NETWORK_MODULES = frozenset(
    {
        "socket",
        "ssl",
        "http",
        "urllib",
        "ftplib",
        "smtplib",
        "poplib",
        "imaplib",
        "telnetlib",
        "xmlrpc",
        "socketserver",
        "requests",
        "httpx",
        "aiohttp",
        "urllib3",
        "websocket",
        "websockets",
        "asyncssh",
    }
)
# Parts of network packages that only compute: quoting a URL or naming a status reaches nothing. (The sandbox,
# not this list, is what keeps a tool off the network.)
COMPUTING_PARTS = frozenset({"urllib", "urllib.parse", "urllib.error", "http"})
FORBIDDEN_CALLS = {
    "eval": "runs arbitrary code",
    "exec": "runs arbitrary code",
    "compile": "builds code objects",
    "__import__": "imports modules dynamically",
    "globals": "exposes interpreter state",
    "locals": "exposes interpreter state",
    "vars": "exposes interpreter state",
    "breakpoint": "starts a debugger",
    "input": "blocks waiting for a terminal",
    "exit": "ends the process",
    "quit": "ends the process",
}
# module attribute -> why it is forbidden
FORBIDDEN_ATTRIBUTES = {
    ("os", "system"): "runs a shell",
    ("os", "popen"): "runs a shell",
    ("os", "fork"): "forks the process",
    ("os", "forkpty"): "forks the process",
    ("os", "kill"): "signals processes",
    ("os", "killpg"): "signals processes",
    ("os", "environ"): "reads environment variables, where secrets live",
    ("os", "environb"): "reads the environment",
    ("os", "getenv"): "reads environment variables, where secrets live",
    ("os", "putenv"): "changes the environment",
    ("os", "unsetenv"): "changes the environment",
    ("os", "setuid"): "changes privileges",
    ("os", "chroot"): "changes the root",
    ("sys", "modules"): "reaches every loaded module",
    ("sys", "_getframe"): "walks interpreter frames",
    ("sys", "settrace"): "hooks the interpreter",
    ("sys", "setprofile"): "hooks the interpreter",
    ("sys", "exit"): "ends the process",
}
FORBIDDEN_PREFIXES = {("os", "exec"): "replaces the process", ("os", "spawn"): "starts processes"}
SAFE_DUNDERS = frozenset({"__name__", "__doc__", "__qualname__", "__module__", "__init__"})
FILE_READ_CALLS = frozenset(
    {
        "read_text",
        "read_bytes",
        "iterdir",
        "glob",
        "rglob",
        "listdir",
        "scandir",
        "walk",
        "stat",
        "exists",
        "is_file",
        "is_dir",
    }
)
FILE_WRITE_CALLS = frozenset(
    {
        "write_text",
        "write_bytes",
        "unlink",
        "remove",
        "rmdir",
        "mkdir",
        "makedirs",
        "rename",
        "replace",
        "touch",
        "rmtree",
        "copy",
        "copyfile",
        "copytree",
        "move",
        "chmod",
        "symlink",
        "link",
        "removedirs",
        "truncate",
    }
)
FILE_MODULES = frozenset({"shutil", "tempfile", "glob"})
