"""The ``aesara-cas`` command line: build, simplify, differentiate and run an expression.

``aesara-cas "log(1 + exp(x)) * y" --var x:dvector --var y:dscalar`` prints the
graph, its simplified form, optional gradients, and its value on random inputs.
With no arguments it runs a tour of built-in examples.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

import aesara_cas as ac
from aesara_cas.compile.cython.cache_fs import CacheError
from aesara_cas.expr_parser import ExpressionError, parse_expression
from aesara_cas.tensor.variable import CONSTRUCTORS

USAGE_EXAMPLE = 'aesara-cas "log(1 + exp(x)) * y" --var x:dvector --var y:dscalar'


#: The largest random input the command generates (elements).
MAX_ELEMENTS = 10_000_000


class CLIError(Exception):
    """A user error: printed on one line, exit code 2."""


def _one_line(err: BaseException) -> str:
    """``err`` and its notes (where it happened) as one line."""
    text = " ".join([str(err) or type(err).__name__, *getattr(err, "__notes__", [])])
    if isinstance(err, MemoryError):
        text = f"out of memory: {text}"
    elif not isinstance(err, (CLIError, TypeError, ValueError, IndexError)):
        text = f"{type(err).__name__}: {text}"
    return " ".join(text.split())


def parse_var(spec: str):
    """``"x:dvector"`` (or ``"x:dvector:5"`` for a length) -> (name, variable, length)."""
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0].isidentifier():
        raise CLIError(
            f"--var {spec!r}: expected NAME:TYPE such as x:dvector "
            f"(types: {', '.join(sorted(CONSTRUCTORS))})"
        )
    name, kind = parts[0], parts[1]
    make = CONSTRUCTORS.get(kind)
    if make is None:
        known = ", ".join(sorted(CONSTRUCTORS))
        raise CLIError(f"--var {spec!r}: unknown type {kind!r} (types: {known})")
    length = None
    if len(parts) == 3:
        if not parts[2].isdigit() or int(parts[2]) == 0:
            raise CLIError(f"--var {spec!r}: the length must be a positive integer")
        length = int(parts[2])
    return name, make(name), length


def random_value(var, rng: np.random.Generator, length: int) -> np.ndarray:
    """A random input for ``var``: positive floats (inside most functions' domains)."""
    shape = tuple(length if s is None else s for s in var.type.shape)
    kind = np.dtype(var.dtype).kind
    if kind == "b":
        return rng.random(shape) < 0.5
    if kind in "iu":
        return rng.integers(1, 10, size=shape).astype(var.dtype)
    return rng.uniform(0.1, 2.0, size=shape).astype(var.dtype)


def _section(title: str, body: str) -> None:
    print(f"{title}:")
    for line in body.rstrip("\n").splitlines():
        print(f"  {line}")


def run_expression(args: argparse.Namespace) -> int:
    names, lengths = {}, {}
    for spec in args.var or []:
        name, var, length = parse_var(spec)
        if name in names:
            raise CLIError(f"--var: {name!r} is declared twice")
        names[name], lengths[name] = var, length or args.size
    try:
        expr = parse_expression(args.expression, names)
    except ExpressionError as err:
        raise CLIError(str(err)) from None  # "column N: what is wrong", one line
    used = [v for n, v in names.items() if n in _used_names(expr)]
    print(f"expression: {ac.pprint(expr)}")
    _section("graph", ac.dprint(expr, file="str"))
    simplified = expr
    if args.simplify and hasattr(ac, "simplify"):
        trace: list = []
        simplified = ac.simplify(expr, trace=trace)
        print(f"simplified: {ac.pprint(simplified)}")
        if trace:
            fired = sorted({str(getattr(t, "rule", t)) for t in trace})
            print(f"rules fired: {', '.join(fired)}")
        else:
            print("rules fired: none")
    for gname in args.grad or []:
        if gname not in names:
            raise CLIError(f"--grad {gname!r}: not a declared variable ({', '.join(names)})")
        if not hasattr(ac, "grad"):
            raise CLIError("--grad: gradients are not available in this build")
        cost = simplified if simplified.ndim == 0 else simplified.sum()
        g = ac.grad(cost, names[gname], disconnected_inputs="ignore")
        label = f"d/d{gname}" if simplified.ndim == 0 else f"d(sum)/d{gname}"
        print(f"gradient {label}: {ac.pprint(g)}")
    if args.latex:
        print(f"latex: {ac.latex(expr)}")
        if simplified is not expr:
            print(f"latex (simplified): {ac.latex(simplified)}")
    for v in used:
        n_elements = lengths[v.name] ** sum(s is None for s in v.type.shape)
        if n_elements > MAX_ELEMENTS:
            raise CLIError(
                f"{v.name}: {n_elements} random elements are too many to generate "
                f"(at most {MAX_ELEMENTS:,}); use a smaller --size or NAME:TYPE:LEN"
            )
    rng = np.random.default_rng(args.seed)
    values = [random_value(v, rng, lengths[v.name]) for v in used]
    f = ac.function(used, expr, mode=args.mode, profile=args.profile)
    if args.dot:
        try:
            with open(args.dot, "w", encoding="utf-8") as out:
                out.write(ac.to_dot(f))
        except OSError as err:
            raise CLIError(f"--dot {args.dot!r}: cannot write: {err.strerror}") from None
        print(f"graph of the compiled function written to {args.dot} (Graphviz DOT)")
    for v, val in zip(used, values):
        print(f"input {v.name} = {np.array2string(np.asarray(val), precision=6)}")
    if args.mode == "dask":  # each input cut into --chunks chunks per dimension
        import dask.array as da

        values = [da.from_array(v, chunks=tuple(-(-n // args.chunks) for n in np.shape(v)))
                  for v in values]
    result = f(*values)
    if args.mode == "dask":
        print(f"lazy result: {result!r}")
        result = result.compute(scheduler="threads")
    print(f"result = {np.array2string(np.asarray(result), precision=6)}")
    if args.profile:
        _section("profile", str(f.profile))
    return 0


def _used_names(expr) -> set[str]:
    from aesara_cas.graph.traversal import graph_inputs

    return {v.name for v in graph_inputs([expr]) if v.name is not None}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aesara-cas",
        description="Build, simplify, differentiate and evaluate a tensor expression. "
        "With no arguments, run a tour of examples.",
        epilog=f"example: {USAGE_EXAMPLE}\n"
        "cache:   aesara-cas cache info | aesara-cas cache clear",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expression", nargs="?",
                   help="an expression in Python syntax, e.g. 'log(1 + exp(x))' "
                   "(none: the tour, e.g. aesara-cas --mode dask --chunks 8)")
    p.add_argument("--var", action="append", metavar="NAME:TYPE[:LEN]",
                   help="declare a variable, e.g. x:dvector or A:dmatrix:3")
    p.add_argument("--grad", action="append", metavar="VAR",
                   help="also print the gradient with respect to VAR (of the sum if not scalar)")
    p.add_argument("--no-simplify", dest="simplify", action="store_false",
                   help="do not print the simplified expression")
    p.add_argument("--mode", choices=["numpy", "cython", "dask"], default="numpy",
                   help="how to evaluate (default: numpy; cython compiles a native module; "
                   "dask runs it chunk by chunk on dask arrays)")
    p.add_argument("--chunks", type=int, default=4,
                   help="with --mode dask: chunks per dimension of each input (default 4)")
    p.add_argument("--size", type=int, default=4, help="length of unknown dimensions (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed for the random inputs")
    p.add_argument("--latex", action="store_true",
                   help="also print the expression (and its simplified form) as LaTeX")
    p.add_argument("--dot", metavar="FILE",
                   help="write the compiled function's graph to FILE as Graphviz DOT text")
    p.add_argument("--profile", action="store_true",
                   help="print the time of each step of the evaluation")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv:
            from aesara_cas.tour import run_tour

            return run_tour()
        if argv[0] == "cache":
            from aesara_cas.compile.cython import cache_command

            return cache_command(argv[1:])
        args = build_parser().parse_args(argv)
        if args.size <= 0:
            raise CLIError("--size must be positive")
        if args.chunks <= 0:
            raise CLIError("--chunks must be positive")
        if args.expression is None:
            from aesara_cas.tour import run_tour

            return run_tour(args.mode, args.chunks)
        return run_expression(args)
    except (CLIError, CacheError, TypeError, ValueError) as err:
        print(f"aesara-cas: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # anything else still gets one line and exit code 2
        print(f"aesara-cas: error: {_one_line(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
