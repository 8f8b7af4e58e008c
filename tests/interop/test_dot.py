"""to_dot: DOT text that Graphviz readers parse, with escaped labels and fused clusters."""

import pydot
import pytest

import aesara_cas as ac
from aesara_cas import tensor as at
from aesara_cas.printing import render


def _parse(text: str):
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1
    return graphs[0]


def test_variable_graph_parses_with_ops_and_names():
    x = at.dvector("x")
    y = at.dscalar("y")
    graph = _parse(ac.to_dot(at.exp(-x * x) * at.sin(y)))
    labels = {n.get_label() for n in graph.get_nodes()}
    assert '"exp"' in labels and '"sin"' in labels and '"mul"' in labels
    assert any(label and label.startswith('"x\\n') for label in labels)
    # one edge per input of each node, one per output
    assert len(graph.get_edges()) == 2 + 1 + 2 + 1 + 1 + 1 + 2 + 1 + 1


def test_hostile_names_are_escaped():
    x = at.dscalar('x"]; evil -> y; //\n')
    graph = _parse(ac.to_dot(x + 1))
    names = [n.get_name() for n in graph.get_nodes()]
    assert "evil" not in names and all(not n.startswith('"') or n == '"node"' for n in names)


def test_compiled_function_draws_fused_loop_as_cluster(tmp_path):
    x = at.dvector("x")
    f = ac.function([x], at.exp(-x * x / 2) * at.sin(x) + at.log1p(at.exp(x)))
    graph = _parse(ac.to_dot(f))
    clusters = graph.get_subgraphs()
    assert len(clusters) == 1 and clusters[0].get_name() == "cluster_fused0"
    assert len(clusters[0].get_nodes()) >= 4
    # the NumPy mode has no fused loops
    g = ac.function([x], at.exp(x) + 1, mode="numpy")
    assert _parse(ac.to_dot(g)).get_subgraphs() == []


def test_render_dot_file_and_errors(tmp_path):
    x = at.dscalar("x")
    path = render(at.exp(x), tmp_path / "g.dot")
    assert _parse(path.read_text()).get_nodes()
    with pytest.raises(ValueError, match="must end in one of"):
        render(at.exp(x), tmp_path / "g.jpeg2000")
    with pytest.raises(TypeError, match="to_dot takes"):
        ac.to_dot(3)
