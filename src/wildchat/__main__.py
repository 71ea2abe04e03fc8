"""`python -m wildchat` is the `wildchat` command."""

from wildchat.cli import app

app()
