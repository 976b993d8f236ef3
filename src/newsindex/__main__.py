"""``python -m newsindex``: the same as the ``newsindex`` command."""

from newsindex.cli import main

main()
