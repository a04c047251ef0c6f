"""Run `mcusim` in-process as the console script does (one-line errors included)."""

from __future__ import annotations

from mcusim.cli.main import main


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `mcusim ARGV`; `capsys` is pytest's fixture."""
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err
