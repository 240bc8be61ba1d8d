"""What every subcommand shares: the parser class, argument types, output helpers, error handling."""

from __future__ import annotations

import argparse
import contextlib
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


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows every option's default (unless its help already states it, or there is none)."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (default is None or default is False or default is argparse.SUPPRESS or "default" in text.lower()
                or not action.option_strings or isinstance(action, argparse._HelpAction)):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with "did you mean" hints and one-line errors.

    Wrong usage (missing or unknown arguments, a mistyped subcommand) exits 2;
    a bad value of an argument (``--shots 0``, a file that does not exist, an
    unknown ``--noise`` level) exits 1, like every other bad input.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _SubParsers)

    def error(self, message: str):  # noqa: D401 - argparse API
        usage = any(m in message for m in _USAGE_MESSAGES) or message.startswith("argument {")
        message = _with_suggestion(message, self)
        self.exit(2 if usage else 1, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _SubParsers(argparse._SubParsersAction):
    """Subcommands whose own ``--help`` opens with their one-line help (unless they have a description)."""

    def add_parser(self, name, **kwargs):
        if kwargs.get("help") and "description" not in kwargs:
            text = kwargs["help"]
            kwargs["description"] = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
        return super().add_parser(name, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        # unknown arguments are reported by the subcommand that got them, with its options as hints
        extras = getattr(namespace, argparse._UNRECOGNIZED_ARGS_ATTR, None)
        if extras:
            delattr(namespace, argparse._UNRECOGNIZED_ARGS_ATTR)
            self._name_parser_map[values[0]].error(f"unrecognized arguments: {' '.join(extras)}")


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
                    hints.append((word, close[0]))
        if len(hints) == 1:
            return f"{message}; did you mean {hints[0][1]!r}?"
        if hints:
            return f"{message}; did you mean {', '.join(f'{b!r} for {a!r}' for a, b in hints)}?"
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


def int_in(low: int, high: int):
    """argparse type: an integer in [low, high] (an absurd value is refused, never clipped)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} must be between {low} and {high}")
        return value

    parse.__name__ = f"integer in [{low}, {high}]"
    return parse


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
        raise argparse.ArgumentTypeError(f"{text!r} does not exist{_close_path(text)}")
    return path


def _close_path(text: str) -> str:
    """`` (did you mean 'examples/ghz.qasm'?)`` for a mistyped last part of a path, else ``""``."""
    p = Path(text)
    folder = resolve_shipped(p.parent) if str(p.parent) not in ("", ".") else Path(".")
    if not p.name or not folder.is_dir():
        return ""
    try:
        names = [c.name for c in folder.iterdir()]
    except OSError:
        return ""
    close = difflib.get_close_matches(p.name, names, n=1, cutoff=0.7)
    return f" (did you mean {str(p.parent / close[0]) if str(p.parent) != '.' else close[0]!r}?)" if close else ""


def output_file(text: str) -> Path:
    """argparse type: a file to write; its folder must exist (checked before any work)."""
    path = Path(text)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: folder {str(parent)!r} does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: it is a folder")
    return path


def profile_output_file(text: str) -> Path:
    """argparse type: a profile file to write (.yaml, .yml or .json) in an existing folder."""
    path = output_file(text)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise argparse.ArgumentTypeError(f"cannot write a profile to {text!r}: unknown suffix "
                                         f"{path.suffix or '(none)'!r} (use .yaml, .yml or .json)")
    return path


def output_dir(text: str) -> Path:
    """argparse type: a folder to write into; it may not exist yet, but its parent must (checked before any work)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write into {text!r}: it is a file, not a folder")
    parent = path.parent if str(path.parent) else Path(".")
    if not path.exists() and not parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot create folder {text!r}: {str(parent)!r} does not exist")
    return path


def seconds(text: str) -> float:
    """argparse type: a finite number of seconds >= 0."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be a finite number >= 0")
    return value


def check_fresh_checkpoint(path: Path, resume: bool, command: str) -> None:
    """Refuse to overwrite the checkpoint of an interrupted run unless told to resume it."""
    if not resume and path.exists():
        raise ArgumentError(f"checkpoint {str(path)!r} exists (an interrupted `{command}` run): rerun with --resume "
                            "to continue it, or delete it (or pass --checkpoint OTHER_FILE) to start over")


@contextlib.contextmanager
def finishing(checkpoint: Path, what: str):
    """Writing a finished run's outputs: a Ctrl-C keeps the (complete) checkpoint; success deletes it."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(f"{what} finished, but Ctrl-C stopped writing its outputs; the results are saved in "
                          f"{checkpoint} (the same command with --resume writes them without recomputing)",
                          str(checkpoint)) from None
    Path(checkpoint).unlink(missing_ok=True)


def add_executor_arguments(p) -> None:
    """``--workers N`` and ``--dask-scheduler ADDRESS`` (exclusive): where a command's tasks run."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=int_in(1, 1024), metavar="N",
                   help="run the tasks (circuits, likelihood terms) on N local worker processes; the results "
                   "equal the serial run's (default: serial, in this process)")
    g.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="run the tasks on an existing dask.distributed cluster, e.g. tcp://10.0.0.5:8786 "
                   "(needs pip install 'qpu_twin[distributed]'; see docs/scale-out.md)")


#: seconds to wait for a Dask scheduler to answer
DASK_CONNECT_TIMEOUT_S = 20


@contextlib.contextmanager
def executor_from_cli(workers: int | None = None, dask_scheduler: str | None = None):
    """The executor of ``--workers N`` / ``--dask-scheduler ADDRESS`` (``None``: serial), closed at the end.

    ``--workers``: :func:`qpu_twin.parallel.local_process_pool` (``spawn`` processes, the cores
    shared out among them). ``--dask-scheduler``: ``Client(ADDRESS).get_executor()``; a missing
    ``distributed`` or an unreachable scheduler is an :class:`ArgumentError` naming the option.
    """
    if workers is not None and dask_scheduler is not None:
        raise ArgumentError("--workers and --dask-scheduler exclude each other")
    if workers is not None:
        from ..parallel import local_process_pool

        ex = local_process_pool(workers)
        try:
            yield ex
        finally:
            ex.shutdown(wait=True, cancel_futures=True)
        return
    if dask_scheduler is not None:
        try:
            from distributed import Client
        except ImportError:
            raise ArgumentError(f"--dask-scheduler {dask_scheduler!r}: dask.distributed is not installed "
                                "(pip install 'qpu_twin[distributed]')") from None
        try:
            client = Client(dask_scheduler, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ArgumentError(f"--dask-scheduler {dask_scheduler!r}: cannot connect to a Dask scheduler "
                                f"there ({type(exc).__name__}: {_one_line(exc) or 'no answer'})") from None
        try:
            yield client.get_executor()
        finally:
            client.close()
        return
    yield None


def print_json(data) -> None:
    print(json.dumps(data, indent=1, default=str))


def fmt(x, digits: int = 4) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one ``warning: ...`` line (no source line: it looks like a traceback)."""
    print(f"warning: {_one_line(message)} [{category.__name__}]", file=sys.stderr if file is None else file)


def run_command(func, args, debug: bool) -> int:
    """Call a subcommand; package errors become one line on stderr and exit 1 (130 on Ctrl-C).

    Warnings print as one ``warning: ...`` line each (Python's full format with ``--debug``).
    """
    import warnings

    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _show_warning
        return _run(func, args, debug)


def _run(func, args, debug: bool) -> int:
    try:
        return int(func(args) or 0)
    except Interrupted as exc:
        if debug:
            raise
        print(f"interrupted: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        if debug:
            raise
        print("interrupted (Ctrl-C)", file=sys.stderr)
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
