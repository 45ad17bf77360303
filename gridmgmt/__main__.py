"""``python -m gridmgmt``: the command line, as the ``gridmgmt`` console script runs it."""

from gridmgmt.cli import main

main()
