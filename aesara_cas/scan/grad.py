"""Reverse mode through a loop: the gradient of a ``Scan`` is a scan running backwards.

For the step ``(x_t, y_t) = f(s_t, x_{t-1}, p)`` with cotangents ``gx_t`` (of the
stacked states) and ``gy_t`` (of the per-step outputs), the backward loop runs
``t = n-1, ..., 0`` carrying ``c`` (the cotangent reaching ``x_t`` from step
``t+1``, zero at the start) and an accumulator per non-sequence:

    lam = gx_t + c
    (g_s_t, g_xprev, g_p) = vjp of f at (s_t, x_{t-1}, p) with (lam, gy_t)
    c <- g_xprev;  acc <- acc + g_p;  emit g_s_t

At the end ``c`` is the gradient of the initial state and ``acc`` that of the
non-sequences.  The backward step recomputes the forward step from the stored
states, so memory stays linear in the number of steps.
"""

from __future__ import annotations

from aesara_cas.graph.basic import Apply, Variable
from aesara_cas.graph.traversal import clone_replace
from aesara_cas.scan.inner import make_inner_graph, placeholder

__all__ = ["scan_L_op", "scan_R_op"]


def _reverse(x: Variable) -> Variable:
    return x[::-1]


def scan_L_op(op, node: Apply, inputs: list, outputs: list, output_grads: list) -> list:
    from aesara_cas.gradient import backprop
    from aesara_cas.scan.op import Scan
    from aesara_cas.tensor.grad_ops import is_float, zeros_like
    from aesara_cas.tensor.shape import concatenate, expand_dims

    ns, nst, nnt, nl = op.n_seqs, op.n_sitsot, op.n_nitsot, op.n_last
    if nl:
        raise NotImplementedError(
            "gradients of a scan whose step updates shared variables or draws random "
            "numbers are not supported"
        )
    n = inputs[0]
    seqs = inputs[1:1 + ns]
    inits = inputs[1 + ns:1 + ns + nst]
    nonseqs = inputs[1 + ns + nst:]
    fg = op.fgraph
    in_seq = fg.inputs[:ns]
    in_st = fg.inputs[ns:ns + nst]
    in_non = fg.inputs[ns + nst:]

    # Backward-step placeholders.
    b_seq = [placeholder(v) for v in in_seq]
    b_prev = [placeholder(v) for v in in_st]
    b_non = [placeholder(v) for v in in_non]
    fwd = clone_replace(list(fg.outputs), dict(zip(fg.inputs, b_seq + b_prev + b_non)))
    st_outs, nt_outs = fwd[:nst], fwd[nst:nst + nnt]
    gx_ph = [placeholder(o) if is_float(o) else None for o in st_outs]
    gy_ph = [placeholder(o) if is_float(o) else None for o in nt_outs]
    carry_ph = [placeholder(v) if is_float(v) else None for v in b_prev]
    acc_ph = [placeholder(v) if is_float(v) else None for v in b_non]

    cots = [None if gx is None or c is None else gx + c for gx, c in zip(gx_ph, carry_ph)]
    cots += gy_ph
    wrt = [v for v in b_seq + b_prev + b_non if is_float(v)]
    grads = dict(zip(wrt, backprop(st_outs + nt_outs, cots, wrt))) if wrt else {}

    def g_of(v):
        g = grads.get(v)
        return zeros_like(v) if g is None else g

    g_seq_out = [g_of(v) for v in b_seq if is_float(v)]
    new_carry = [g_of(v) for v, c in zip(b_prev, carry_ph) if c is not None]
    new_acc = [a + g_of(v) for v, a in zip(b_non, acc_ph) if a is not None]

    # Outer sequences of the backward loop, all reversed.
    prevs = [concatenate([expand_dims(x0, 0), X])[:n] for x0, X in zip(inits, outputs[:nst])]
    gX = [g if g is not None else zeros_like(o) for g, o in zip(output_grads[:nst], outputs[:nst])]
    gY = [g if g is not None else zeros_like(o)
          for g, o in zip(output_grads[nst:nst + nnt], outputs[nst:nst + nnt])]
    b_seqs_inner = b_seq + b_prev + [p for p in gx_ph if p is not None] \
        + [p for p in gy_ph if p is not None]
    b_seqs_outer = seqs + prevs + [g for g, p in zip(gX, gx_ph) if p is not None] \
        + [g for g, p in zip(gY, gy_ph) if p is not None]
    b_seqs_outer = [_reverse(s) for s in b_seqs_outer]
    carry_in = [c for c in carry_ph if c is not None] + [a for a in acc_ph if a is not None]
    carry_init = [zeros_like(x0) for x0, c in zip(inits, carry_ph) if c is not None] \
        + [zeros_like(p) for p, a in zip(nonseqs, acc_ph) if a is not None]
    # The carries are recurrent states (stacked, so this loop can be differentiated
    # again); their last value, or the initial zeros after no steps, is the result.
    inner_inputs = b_seqs_inner + carry_in + b_non
    inner_outputs = new_carry + new_acc + g_seq_out
    bgraph = make_inner_graph(inner_inputs, inner_outputs)
    bop = Scan(bgraph, len(b_seqs_inner), len(carry_in), len(g_seq_out), 0, len(b_non),
               name="grad")
    bouts = bop.make_node(n, *b_seqs_outer, *carry_init, *nonseqs).outputs
    g_seq_rev = bouts[len(carry_in):]
    finals = [concatenate([expand_dims(x0, 0), X[-1:]])[-1]
              for x0, X in zip(carry_init, bouts[:len(carry_in)])]

    result: list = [None]
    it_seq = iter(g_seq_rev)
    for s in seqs:
        result.append(_reverse(next(it_seq)) if is_float(s) else None)
    it_final = iter(finals)
    for c in carry_ph:
        result.append(next(it_final) if c is not None else None)
    for a in acc_ph:
        result.append(next(it_final) if a is not None else None)
    return result


def scan_R_op(op, node: Apply, inputs: list, eval_points: list) -> list:
    """Forward mode: a scan carrying each float state's tangent next to the state.

    Tangents of sequences are sliced along with them, tangents of non-sequences passed
    unchanged; the step's tangents come from pushing them through the step's graph.
    """
    from aesara_cas.gradient import push_forward
    from aesara_cas.scan.op import Scan
    from aesara_cas.tensor.grad_ops import is_float, zeros_like

    ns, nst, nnt, nl = op.n_seqs, op.n_sitsot, op.n_nitsot, op.n_last
    if nl:
        raise NotImplementedError(
            "forward derivatives of a scan whose step updates shared variables or draws "
            "random numbers are not supported"
        )
    if all(p is None for p in eval_points):
        return [None] * len(node.outputs)
    n = inputs[0]
    seqs, inits = inputs[1:1 + ns], inputs[1 + ns:1 + ns + nst]
    nonseqs = inputs[1 + ns + nst:]
    pts = eval_points[1:]
    seq_pts, init_pts, non_pts = pts[:ns], pts[ns:ns + nst], pts[ns + nst:]
    fg = op.fgraph
    f_seq = [placeholder(v) for v in fg.inputs[:ns]]
    f_st = [placeholder(v) for v in fg.inputs[ns:ns + nst]]
    f_non = [placeholder(v) for v in fg.inputs[ns + nst:]]
    fwd = clone_replace(list(fg.outputs), dict(zip(fg.inputs, f_seq + f_st + f_non)))
    d_seq = [placeholder(v) if p is not None and is_float(v) else None
             for v, p in zip(f_seq, seq_pts)]
    d_st = [placeholder(v) if is_float(v) else None for v in f_st]
    d_non = [placeholder(v) if p is not None and is_float(v) else None
             for v, p in zip(f_non, non_pts)]
    tangents = push_forward(fwd, f_seq + f_st + f_non, d_seq + d_st + d_non)
    tangents = [zeros_like(o) if t is None else t for t, o in zip(tangents, fwd)]
    st_float = [d is not None for d in d_st]
    nt_float = [is_float(o) for o in fwd[nst:]]
    inner_in = (f_seq + [d for d in d_seq if d is not None]
                + f_st + [d for d in d_st if d is not None]
                + f_non + [d for d in d_non if d is not None])
    inner_out = (fwd[:nst] + [t for t, ok in zip(tangents[:nst], st_float) if ok]
                 + fwd[nst:] + [t for t, ok in zip(tangents[nst:], nt_float) if ok])
    graph = make_inner_graph(inner_in, inner_out)
    n_dst = sum(st_float)
    n_dseq = sum(d is not None for d in d_seq)
    n_dnon = sum(d is not None for d in d_non)
    fop = Scan(graph, ns + n_dseq, nst + n_dst, nnt + sum(nt_float), 0, len(f_non) + n_dnon,
               name="jvp")
    outer = ([n] + seqs + [p for p, d in zip(seq_pts, d_seq) if d is not None]
             + inits + [p if p is not None else zeros_like(x0)
                        for p, x0, ok in zip(init_pts, inits, st_float) if ok]
             + nonseqs + [p for p, d in zip(non_pts, d_non) if d is not None])
    outs = fop.make_node(*outer).outputs
    d_states = iter(outs[nst:nst + n_dst])
    d_nits = iter(outs[nst + n_dst + nnt:])
    result = [next(d_states) if ok else None for ok in st_float]
    result += [next(d_nits) if ok else None for ok in nt_float]
    return result
