"""Helpers shared by every command: JSON output, output folders, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from mcusim.errors import McusimError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def json_option(f):
    """`--json`: print one JSON document on stdout instead of tables."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def prepare_output_dir(path: Path, force: bool, *, expected: set[str] | None = None) -> Path:
    """Create `path`, refusing a folder that holds other files unless `force` is set.

    `expected` names files mcusim itself writes there; a folder holding only those (a previous
    run of the same command) is reused without `--force`.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise McusimError(f"output path {path} is a file, not a folder", hint="choose another -o")
    if path.is_dir() and not force:
        others = [p.name for p in path.iterdir() if not expected or p.name not in expected]
        if others:
            shown = ", ".join(sorted(others)[:5])
            raise McusimError(
                f"output folder {path} already holds other files ({shown})",
                hint="use --force to write into it anyway, or choose another -o",
            )
    path.mkdir(parents=True, exist_ok=True)
    return path


def fail(err: McusimError) -> None:
    err_console.print(f"[bold red]error:[/] {err}", soft_wrap=True, markup=True, highlight=False)
    sys.exit(err.exit_code)
