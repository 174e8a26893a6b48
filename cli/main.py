"""The ``microcred`` command line: a shell whose commands the installed parts register.

The shell knows no part. ``keys`` (``microcred keys …``, ``microcred sign``), the verifier
(``verify``, ``registry``), the issuer (``issuer``) and the demo (``demo``) add their commands
through the ``microcred.commands`` entry-point group (``pyproject.toml``), so a verifier
installed alone (``pip install 'microcred[verifier]'``) gets ``microcred verify`` and never
imports the issuer. A command whose part is not installed says so, in one line.

Exit codes: 0 success, 1 a negative answer (used by ``verify``), 2 unusable input — always with
a one-line message on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint, entry_points
from typing import NoReturn

import click

COMMAND_GROUP = "microcred.commands"
EXIT_UNUSABLE = 2


def unavailable(name: str, error: ImportError) -> click.Command:
    """A stand-in for the registered command ``name`` that cannot be imported here: it is
    listed (saying it is not installed) and, when run, fails with one line and exit status 2."""
    problem = f"`microcred {name}` is not installed here ({error})"
    hint = "install the extra it needs: pip install 'microcred[issuer]' (or [verifier], [demo])"

    @click.command(
        name,
        help=f"(not installed: {error})",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )
    def command() -> NoReturn:
        click.echo(f"error: {problem}: {hint}", err=True)
        sys.exit(EXIT_UNUSABLE)

    return command


class PluginGroup(click.Group):
    """A click group whose commands are those registered under ``microcred.commands``."""

    def _plugins(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=COMMAND_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command: those added directly and every registered one, sorted."""
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, loaded from its entry point on first use (a stand-in
        that fails clearly when its part cannot be imported); ``None`` when nobody registers
        it."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        plugin = self._plugins().get(cmd_name)
        if plugin is None:
            return None
        try:
            loaded = plugin.load()
        except ImportError as error:
            return unavailable(cmd_name, error)
        if not isinstance(loaded, click.Command):
            raise TypeError(f"{plugin.value} is not a click command")
        return loaded


@click.group(cls=PluginGroup)
def main() -> None:
    """microcred: issue and verify European micro-credentials."""
