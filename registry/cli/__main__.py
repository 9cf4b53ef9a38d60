"""`python -m registry.cli`: the same as the `dress-registry` command."""

from registry.cli import main

main()
