"""The ``wildchat`` command line: it parses arguments and calls into the stages, nothing more.

Imports of the stages are local to each command so that ``wildchat --help`` stays fast and a
command only loads what it needs.
"""

from __future__ import annotations



import typer

app = typer.Typer(
    help="Collect consented chatbot conversations, curate them into a WildChat-schema corpus, analyze it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
logs_app = typer.Typer(help="Work with the collected call logs.", no_args_is_help=True)
app.add_typer(logs_app, name="logs")


# ------------------------------------------------------------------------------------------ collect
# (owned by the collect stage: `serve`, `logs export`, `logs forget`)


# ------------------------------------------------------------------------------------------- curate
# (owned by the curate stage: `build`)


# ------------------------------------------------------------------------------------------ analyze
# (owned by the analyze stage: `import`, `report`)


# --------------------------------------------------------------------------------------------- demo
# (owned by the demo: `demo`)


def _version_callback(value: bool) -> None:
    if value:
        from wildchat import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """wildchat: your own WildChat, end to end."""


