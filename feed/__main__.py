"""`python -m feed`: the `simfeed` command where the console script is not installed."""

from .command import main

main()
