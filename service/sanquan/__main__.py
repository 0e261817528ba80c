"""``python -m sanquan`` is the ``sanquan`` command."""

from sanquan.cli import main

main()
