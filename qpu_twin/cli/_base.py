"""What every subcommand shares: the parser class, argument types, output helpers, error handling."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

from ..errors import ArgumentError, Interrupted, QpuTwinError
from ..paths import resolve_shipped

#: Largest --shots accepted (numpy's multinomial needs int64 counts).
MAX_SHOTS = 10**15


#: argparse messages that mean wrong usage (exit 2); any other parse error is a bad value (exit 1)
_USAGE_MESSAGES = ("the following arguments are required", "unrecognized arguments", "expected one argument",
                   "not allowed with argument", "one of the arguments", "ambiguous option", "expected at least")


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with "did you mean" hints and one-line errors.

    Wrong usage (missing or unknown arguments, a mistyped subcommand) exits 2;
    a bad value of an argument (``--shots 0``, a file that does not exist, an
    unknown ``--noise`` level) exits 1, like every other bad input.
    """

    def error(self, message: str):  # noqa: D401 - argparse API
        usage = any(m in message for m in _USAGE_MESSAGES) or message.startswith("argument {")
        message = _with_suggestion(message, self)
        self.exit(2 if usage else 1, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _with_suggestion(message: str, parser: argparse.ArgumentParser) -> str:
    # invalid choice: 'rnu' (choose from 'run', 'drift')  -> did you mean 'run'?
    if "invalid choice:" in message:
        try:
            bad = message.split("invalid choice:", 1)[1].split("(", 1)[0].strip().strip("'\"")
            choices = message.split("choose from", 1)[1]
            names = [c.strip().strip("'\"),") for c in choices.replace(")", "").split(",")]
            close = difflib.get_close_matches(bad, names, n=1)
            if close:
                return f"{message}; did you mean {close[0]!r}?"
        except IndexError:
            return message
    if message.startswith("unrecognized arguments:"):
        options = [o for a in parser._actions for o in a.option_strings]
        hints = []
        for word in message.split(":", 1)[1].split():
            if word.startswith("-"):
                close = difflib.get_close_matches(word.split("=")[0], options, n=1)
                if close:
                    hints.append(f"{word} -> {close[0]}")
        if hints:
            return f"{message} (did you mean: {', '.join(hints)})"
    return message


def _int_in_range(text: str, minimum: int, maximum: int, maximum_text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} must be >= {minimum}")
    if value > maximum:
        raise argparse.ArgumentTypeError(f"{value} is too large (at most {maximum_text})")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (and <= 10**15)."""
    return _int_in_range(text, 1, MAX_SHOTS, "10**15")


def nonneg_int(text: str) -> int:
    """argparse type: an integer >= 0 (seeds, counts)."""
    return _int_in_range(text, 0, 2**128 - 1, "2**128 - 1")


def fraction(text: str) -> float:
    """argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be between 0 and 1 (exclusive)")
    return value


def existing_path(text: str) -> Path:
    """argparse type: a file or folder that exists (relative to the current directory, or shipped with
    qpu_twin: ``examples/...``, ``calibration_data/...``)."""
    path = resolve_shipped(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text!r} does not exist")
    return path


def long_run_parser(sub, name: str, *, help: str, description: str, what: str, kept: str,
                    default_checkpoint: str) -> argparse.ArgumentParser:
    """The subparser of a long run over a dataset (``bench``, ``fit``) that Ctrl-C stops cleanly.

    It has DATASET and a group of --max-circuits, --aer-shots, --checkpoint
    and --resume; ``kept`` says what the checkpoint keeps (in the description).
    """
    p = sub.add_parser(name, help=help, formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description=f"{description} Ctrl-C stops cleanly and keeps {kept} in the checkpoint; "
                       "--resume continues from it.")
    p.add_argument("dataset", type=existing_path, help="dataset folder (dataset.json) or IBM job archive folder/file "
                   "(calibration_data/... are shipped)")
    g = p.add_argument_group("dataset, Aer and checkpoint")
    g.add_argument("--max-circuits", type=positive_int, help="only the first N circuits (default: all)")
    g.add_argument("--aer-shots", type=positive_int, default=20_000, help="shots for Aer when it cannot be exact")
    g.add_argument("--checkpoint", metavar="FILE", type=Path, default=None,
                   help=f"checkpoint file (default: {default_checkpoint} in the current folder)")
    g.add_argument("--resume", action="store_true", help=f"continue an interrupted {what} from its checkpoint")
    return p


def output_file(text: str) -> Path:
    """argparse type: a file to write; its folder must exist (checked before any work)."""
    path = Path(text)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: folder {str(parent)!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: it is a folder")
    return path


def print_json(data) -> None:
    print(json.dumps(data, indent=1, default=str))


def fmt(x, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def run_command(func, args, debug: bool) -> int:
    """Call a subcommand; package errors become one line on stderr and exit 1 (130 on Ctrl-C)."""
    try:
        return int(func(args) or 0)
    except Interrupted as exc:
        print(f"interrupted: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        if debug:
            raise
        print("interrupted (Ctrl-C): nothing was written", file=sys.stderr)
        return 130
    except QpuTwinError as exc:
        if debug:
            raise
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `qpu-twin profile list | head`
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug: still no traceback unless asked for
        if debug:
            raise
        print(f"error: internal error ({type(exc).__name__}: {_one_line(exc)}); rerun with --debug for the "
              "traceback and report it", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) <= 1:
        return text
    return f"{lines[0]} {'; '.join(lines[1:6])}" + (f"; ... ({len(lines) - 6} more)" if len(lines) > 6 else "")


def parse_params(items: list[str] | None) -> dict[str, float]:
    """``["theta=0.3", "phi=1"]`` -> ``{"theta": 0.3, "phi": 1.0}`` (ArgumentError on bad items)."""
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ArgumentError(f"--param {item!r}: use NAME=VALUE, e.g. --param theta=0.3")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ArgumentError(f"--param {item!r}: {value!r} is not a number") from None
    return out
