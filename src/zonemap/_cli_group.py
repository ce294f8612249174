"""The click group of the ``zonemap`` command.

Where zonemap errors become messages and exit codes (2 bad input, 1 failed check).
"""

from __future__ import annotations

from typing import Any

import click

from .errors import ZonemapError
from .textsafe import safe_text


class _Group(click.Group):
    """Click group that turns zonemap errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except ZonemapError as exc:
            if debug:
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (OSError, MemoryError) as exc:
            if debug:
                raise
            click.echo(f"Error: {safe_text(exc)} (rerun with --debug for details)", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a zonemap bug: say so briefly, never a traceback without --debug
            if debug:
                raise
            click.echo(
                f"Error: internal error ({type(exc).__name__}: {safe_text(exc)}); this is a zonemap bug, "
                "not your data's fault (rerun with --debug and report the traceback)",
                err=True,
            )
            ctx.exit(1)
