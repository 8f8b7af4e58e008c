"""``scan`` and ``map``: loops with Aesara's calling convention.

>>> import aesara_cas as ac
>>> from aesara_cas import tensor as at
>>> x = at.dvector("x")
>>> sums, _ = ac.scan(lambda v, acc: acc + v, sequences=x, outputs_info=at.constant(0.0))
>>> ac.function([x], sums, mode="numpy")([1.0, 2.0, 3.0]).tolist()
[1.0, 3.0, 6.0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from aesara_cas.graph.basic import Variable
from aesara_cas.graph.traversal import clone_replace
from aesara_cas.scan.inner import free_variables, make_inner_graph, placeholder
from aesara_cas.scan.op import Scan
from aesara_cas.tensor.type import TensorType
from aesara_cas.tensor.variable import as_tensor_variable

__all__ = ["map", "scan"]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _tensor(value: Any, what: str) -> Variable:
    if isinstance(value, Variable) and not isinstance(value.type, TensorType):
        return value
    try:
        return as_tensor_variable(value)
    except TypeError as err:
        raise TypeError(f"scan: {what} must be a tensor or a number, got {value!r}") from err


def _sequences(sequences: Any) -> list[Variable]:
    seqs = []
    for i, s in enumerate(_as_list(sequences)):
        if isinstance(s, Mapping):
            taps = list(s.get("taps", [0]))
            if taps != [0]:
                raise ValueError(f"scan: sequences[{i}] has taps {taps}; only [0] is supported")
            s = s.get("input")
        s = _tensor(s, f"sequences[{i}]")
        if s.ndim < 1:
            raise ValueError(
                f"scan: sequences[{i}] must have at least one dimension (the steps), "
                f"got a {s.type} scalar"
            )
        seqs.append(s)
    return seqs


def _outputs_info(outputs_info: Any) -> list[Variable | None]:
    infos: list[Variable | None] = []
    for j, o in enumerate(_as_list(outputs_info)):
        if isinstance(o, Mapping):
            taps = list(o.get("taps", [-1]))
            if taps != [-1]:
                raise ValueError(
                    f"scan: outputs_info[{j}] has taps {taps}; only [-1] is supported"
                )
            o = o.get("initial")
        infos.append(None if o is None else _tensor(o, f"outputs_info[{j}]"))
    return infos


def _n_steps(n_steps: Any, seqs: list[Variable]) -> Variable:
    from aesara_cas.tensor.elemwise import cast, minimum

    if n_steps is None:
        if not seqs:
            raise ValueError("scan: give sequences or n_steps (the number of steps)")
        n = seqs[0].shape[0]
        for s in seqs[1:]:
            n = minimum(n, s.shape[0])
        return cast(n, "int64")
    if isinstance(n_steps, (int, np.integer)) and not isinstance(n_steps, bool):
        if n_steps < 0:
            raise ValueError(f"scan: n_steps must be non-negative, got {n_steps}")
        return as_tensor_variable(np.int64(n_steps))
    n = _tensor(n_steps, "n_steps")
    if n.ndim != 0 or np.dtype(n.dtype).kind not in "iu":
        raise TypeError(f"scan: n_steps must be an integer scalar, got {n.type}")
    return cast(n, "int64")


def _step_results(result: Any) -> tuple[list, dict]:
    """Split what the step function returned into outputs and updates."""
    updates: dict = {}
    if isinstance(result, Mapping):
        return [], dict(result)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], Mapping):
        result, updates = result[0], dict(result[1])
    if isinstance(result, (list, tuple)):
        return list(result), updates
    return [result], updates


def scan(
    fn: Callable,
    sequences: Any = None,
    outputs_info: Any = None,
    non_sequences: Any = None,
    n_steps: Any = None,
    name: str | None = None,
) -> tuple[Variable | list[Variable], dict]:
    """Apply ``fn`` repeatedly, feeding some of its results back (Aesara's ``scan``).

    Parameters
    ----------
    fn
        The step: called once, symbolically, with one slice of each sequence, then the
        previous value of each recurrent output, then the non-sequences.  Returns a
        variable, a list of them, optionally with a dict ``{shared: new_value}`` of
        updates (``(outputs, updates)``).
    sequences
        Variables iterated over their first dimension.
    outputs_info
        One entry per output of ``fn``: the initial value of a recurrent output (the
        step receives its value at the previous step, tap ``-1``) or ``None`` for an
        output that is not fed back.  Omitted: no output is fed back.
    non_sequences
        Variables passed unchanged to every step (other variables the step reads
        are found automatically).
    n_steps
        The number of steps (an int or an integer scalar); by default the length of
        the shortest sequence.
    name
        A label for printing.

    Returns
    -------
    (outputs, updates)
        ``outputs``: each output stacked over the steps (one variable, or a list when
        ``fn`` returns several); ``updates``: ``{shared variable: value after the
        loop}`` for the shared variables the step updates, to pass to
        ``ac.function(..., updates=...)`` (random generators are updated
        automatically).
    """
    from aesara_cas.tensor.elemwise import cast

    if not callable(fn):
        raise TypeError(f"scan: fn must be callable, got {fn!r}")
    seqs = _sequences(sequences)
    infos = _outputs_info(outputs_info)
    explicit_infos = outputs_info is not None
    nonseqs = [_tensor(v, f"non_sequences[{k}]") for k, v in enumerate(_as_list(non_sequences))]
    n = _n_steps(n_steps, seqs)
    if n_steps is not None or len(seqs) > 1:
        seqs = [s[:n] for s in seqs]

    seq_ph = [TensorType(s.dtype, s.type.shape[1:]).make_variable(s.name) for s in seqs]
    inits = [i for i in infos if i is not None]
    st_ph = [placeholder(i) for i in inits]
    non_ph = [placeholder(v) for v in nonseqs]
    # Variables that exist before the step is built are read by the loop, not rebuilt
    # in it (a draw made outside stays one draw).
    start = _ids_now()
    result = fn(*seq_ph, *st_ph, *non_ph)
    outs, user_updates = _step_results(result)
    if not explicit_infos:
        infos = [None] * len(outs)
    if len(outs) != len(infos):
        raise ValueError(
            f"scan: the step function returned {len(outs)} output(s) but outputs_info has "
            f"{len(infos)} entr{'y' if len(infos) == 1 else 'ies'}"
        )
    outs = [_step_output(o, k) for k, o in enumerate(outs)]
    st_outs, nt_outs = [], []
    for k, (o, init) in enumerate(zip(outs, infos)):
        if init is None:
            nt_outs.append(o)
            continue
        if o.ndim != init.ndim:
            raise ValueError(
                f"scan: output {k} of the step function has {o.ndim} dimension(s) but its "
                f"initial value (outputs_info[{k}]) has {init.ndim}"
            )
        for axis, (a, b) in enumerate(zip(o.type.shape, init.type.shape)):
            if a is not None and b is not None and a != b:
                raise ValueError(
                    f"scan: output {k} of the step function has length {a} in dimension "
                    f"{axis} but its initial value (outputs_info[{k}]) has length {b}"
                )
        if o.dtype != init.dtype:
            if not np.can_cast(o.dtype, init.dtype, "same_kind"):
                raise TypeError(
                    f"scan: output {k} of the step function is {o.dtype} but its initial "
                    f"value (outputs_info[{k}]) is {init.dtype}; cast one of them"
                )
            o = cast(o, init.dtype)
        st_outs.append(o)

    # Shared variables the step updates become carried states.
    carried: dict = {}
    for target, expr in user_updates.items():
        if not getattr(target, "is_shared", False):
            raise TypeError(f"scan: updates keys must be shared variables, got {target!r}")
        carried[target] = _tensor(expr, f"the update of {target!r}")
    bound = seq_ph + st_ph + non_ph
    while True:
        free = free_variables(st_outs + nt_outs + list(carried.values()), bound, start)
        new = [v for v in free if getattr(v, "default_update", None) is not None
               and v not in carried]
        if not new:
            break
        for v in new:
            carried[v] = v.default_update
    last_ph = {v: placeholder(v) for v in carried}
    inner_outs = st_outs + nt_outs + list(carried.values())
    if last_ph:
        inner_outs = clone_replace(inner_outs, last_ph)
    implicit = free_variables(inner_outs, bound + list(last_ph.values()), start)
    inner_inputs = seq_ph + st_ph + list(last_ph.values()) + non_ph + implicit
    fgraph = make_inner_graph(inner_inputs, inner_outs)
    op = Scan(fgraph, len(seqs), len(st_outs), len(nt_outs), len(carried),
              len(non_ph) + len(implicit), name=name)
    node_outs = op.make_node(n, *seqs, *inits, *carried, *nonseqs, *implicit).outputs
    st_res = iter(node_outs[:len(st_outs)])
    nt_res = iter(node_outs[len(st_outs):len(st_outs) + len(nt_outs)])
    results = [next(nt_res) if init is None else next(st_res) for init in infos]
    finals = node_outs[len(st_outs) + len(nt_outs):]
    updates = dict(zip(carried, finals))
    if len(results) == 1:
        return results[0], updates
    return results, updates


def _ids_now() -> int:
    """The id the next variable will get (ids only grow)."""
    return TensorType("float64", ()).make_variable().id + 1


def _step_output(o: Any, k: int) -> Variable:
    if isinstance(o, Variable):
        if not isinstance(o.type, TensorType):
            raise TypeError(f"scan: output {k} of the step function must be a tensor, got {o!r}")
        return o
    if isinstance(o, (bool, int, float, np.number, np.ndarray)):
        return as_tensor_variable(o)
    raise TypeError(
        f"scan: output {k} of the step function must be a tensor variable, got "
        f"{type(o).__name__} {o!r}"
    )


def map(
    fn: Callable,
    sequences: Any,
    non_sequences: Any = None,
    name: str | None = None,
) -> tuple[Variable | list[Variable], dict]:
    """``fn`` applied to each slice of ``sequences`` (a scan with nothing fed back).

    Returns ``(outputs, updates)`` like :func:`scan`.
    """
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                name=name)
