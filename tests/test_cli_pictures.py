"""The command line's --latex, --dot and --profile."""

import pydot

from aesara_cas.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_latex_prints_both_forms(capsys):
    code, out, err = run(capsys, "log(1 + exp(x)) * y", "--var", "x:dvector",
                         "--var", "y:dscalar", "--latex")
    assert code == 0, err
    assert r"latex: \log{\left(1 + e^{x} \right)} \cdot y" in out
    assert r"latex (simplified): y \cdot \operatorname{softplus}{\left(x \right)}" in out


def test_dot_writes_a_parsable_graph(capsys, tmp_path):
    path = tmp_path / "g.dot"
    code, out, err = run(capsys, "exp(x) + 1", "--var", "x:dvector", "--dot", str(path))
    assert code == 0, err
    assert f"written to {path}" in out
    graph = pydot.graph_from_dot_data(path.read_text())[0]
    assert '"exp"' in {n.get_label() for n in graph.get_nodes()}


def test_dot_to_an_unwritable_path_is_one_line_exit_2(capsys, tmp_path):
    code, out, err = run(capsys, "x + 1", "--var", "x:dscalar",
                         "--dot", str(tmp_path / "missing" / "g.dot"))
    assert code == 2
    assert err.startswith("aesara-cas: error: --dot") and err.count("\n") == 1


def test_profile_table(capsys):
    code, out, err = run(capsys, "exp(x) * 2", "--var", "x:dvector", "--profile")
    assert code == 0, err
    assert "profile:" in out and "1 call(s)" in out and "us/call" in out
