"""`python -m toolfoundry`: the command line, as the `toolfoundry` script runs it."""

from .cli.app import main

main()
