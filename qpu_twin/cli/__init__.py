"""The ``qpu-twin`` command line: one module per subcommand, the work done by the library.

Subcommands::

    qpu-twin profile list | show NAME | validate PATH | import ... -o PATH | schema
    qpu-twin run FILE.qasm --profile NAME [--shots N] [--seed S] [--exact] [--param NAME=VALUE] [--json] [--plot PNG]
    qpu-twin calibrate [analyse] FILE [--json]           (Quantinuum SQ_RB, TQ_RB, SPAM, Memory_RB, ...)
    qpu-twin calibrate run EXPERIMENT --profile NAME [--qubits Q[,Q]] [--shots N] [--apply OUT.yaml]
    qpu-twin calibrate drift DEVICE
    qpu-twin bench DATASET [--profile NAME] [--json] [--report DIR] [--resume]
    qpu-twin fit DATASET [--profile NAME] [--train-fraction F] [--seed S] [--json] [-o fitted.yaml] [--resume]

Exit status: 0 on success; 1 when an input is bad or a package error occurs
(one line on stderr naming the field and value; ``--debug`` shows the
traceback); 2 on wrong usage; 130 when interrupted (Ctrl-C), after saving any
checkpoint.
"""

from __future__ import annotations

import sys
from typing import Sequence

from .._version import __version__
from . import bench, calibrate, fit, profile, run
from ._base import Parser, run_command


def build_parser() -> Parser:
    parser = Parser(prog="qpu-twin", description="A noise-aware digital twin of a quantum processor.",
                    epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"qpu_twin {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{profile,run,calibrate,bench,fit}",
                                parser_class=Parser)
    for module in (profile, run, calibrate, bench, fit):
        module.add_parser(sub)
    return parser


EPILOG = """examples:
  qpu-twin run examples/ghz.qasm --profile ibm_hanoi --shots 1000 --seed 7
  qpu-twin profile show ibm_hanoi
  qpu-twin calibrate run t1 --profile line5 --qubits 0 --seed 1
  qpu-twin bench calibration_data/ibm_repetition_codes_2022 --max-circuits 12
  qpu-twin fit calibration_data/ibm_repetition_codes_2022 --max-circuits 24 --kinds p10,p01

`qpu-twin COMMAND --help` describes each command. Exit status: 0 success; 1 bad input or
package error (one line on stderr; --debug shows the traceback); 2 wrong usage; 130
interrupted (Ctrl-C; bench and fit keep a checkpoint that --resume continues)."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv = [a for a in argv if a != "--debug"]
    parser = build_parser()
    if argv and argv[0].startswith("-") and argv[0] not in parser._option_string_actions:
        parser.error(f"unrecognized arguments: {argv[0]}")  # before "a command is required": with a hint
    args = parser.parse_args(calibrate.rewrite_argv(argv))
    return run_command(args.func, args, debug)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
