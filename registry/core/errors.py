"""Errors a user can cause and fix; the CLI prints them as one line and exits 2."""


class RegistryError(Exception):
    """A user-facing problem (bad input, bad configuration, unreachable database)."""

    exit_code = 2
