"""The version, in one place: pyproject.toml reads it from here, and so does `toolfoundry --version`."""

__version__ = "0.1.0"
