"""Entry point of the `mcusim` command.

Commands are loaded lazily from `COMMANDS` (name -> "module:attribute"), so `mcusim boards`
does not pay for importing torch or onnxruntime. Each command module holds one click command
or group; add it here with one line.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click

from mcusim import __version__
from mcusim.errors import McusimError

COMMANDS: dict[str, str] = {
    "zoo": "mcusim.cli.zoo_cmd:zoo",
    "export": "mcusim.cli.export_cmd:export",
    "prebench": "mcusim.cli.prebench_cmd:prebench",
    "build": "mcusim.cli.build_cmd:build",
    "selftest": "mcusim.cli.selftest_cmd:selftest",
    "demo": "mcusim.cli.demo_cmd:demo",
    "run": "mcusim.cli.run_cmd:run",
    "flash": "mcusim.cli.flash_cmd:flash",
    "compare": "mcusim.cli.compare_cmd:compare",
    "calibrate": "mcusim.cli.calibrate_cmd:calibrate",
    "analyze": "mcusim.cli.analyze_cmd:analyze",
    "compile": "mcusim.cli.compile_cmd:compile_",
    "validate": "mcusim.cli.validate_cmd:validate",
    "ops": "mcusim.cli.ops_cmd:ops",
    "st-import": "mcusim.cli.st_import_cmd:st_import",
    "compare-backends": "mcusim.cli.compare_backends_cmd:compare_backends",
    "boards": "mcusim.cli.boards_cmd:boards",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcusim")
def cli() -> None:
    """PyTorch/ONNX models to STM32 firmware, validated in a Cortex-M emulator and on boards."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become one line on stderr and a non-zero exit code."""
    from mcusim.cli.common import fail

    try:
        cli.main(args=argv, prog_name="mcusim", standalone_mode=False)
    except McusimError as err:
        fail(err)
    except click.exceptions.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as err:
        err.show()  # a group called bare: its help, as click shows it
        sys.exit(err.exit_code)
    except click.UsageError as err:
        # click prints usage + a blank line + the error; we keep the one-line contract.
        where = err.ctx.command_path if err.ctx is not None else "mcusim"
        msg = " ".join(err.format_message().split())
        sys.stderr.write(f"error: {msg} (see `{where} --help`)\n")
        sys.exit(err.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as err:  # last resort: one line, not a traceback
        if os.environ.get("MCUSIM_DEBUG"):
            raise
        where = ""
        tb = err.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        msg = " ".join(str(err).split())[:300]
        sys.stderr.write(
            f"internal error: {type(err).__name__}: {msg}{where} "
            "(a bug in mcusim: please report it; MCUSIM_DEBUG=1 shows the traceback)\n"
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
