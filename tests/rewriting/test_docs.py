"""Every ```python block of README.md and docs/*.md runs and its assertions hold, and so do
the ``>>>`` examples of the docstrings the API reference shows.

The blocks of one file run in order in one namespace, as a reader would type them.  A block
that is deliberately not runnable is preceded by the line ``<!-- docs-test: skip -->``
(invisible on GitHub and in the Sphinx site); use it rarely.
"""

import doctest
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP_MARKER = "<!-- docs-test: skip -->"
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   flags=re.S | re.M)


def code_blocks(path: Path) -> list[tuple[int, str, bool]]:
    """``(line, code, skipped)`` for every ```python block of ``path``."""
    text = path.read_text()
    blocks = []
    for m in FENCE.finditer(text):
        if m["lang"].strip() != "python":
            continue
        before = text[:m.start()].rstrip().splitlines()
        skipped = bool(before) and before[-1].strip() == SKIP_MARKER
        line = text.count("\n", 0, m.start("body")) + 1
        body = "\n".join(s[len(m["indent"]):] for s in m["body"].splitlines())
        blocks.append((line, body, skipped))
    return blocks


def run_blocks(path: Path) -> dict:
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    for line, code, skipped in code_blocks(path):
        if skipped:
            continue
        # Padding keeps the file's line numbers in tracebacks.
        exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: p.name)
def test_docs_examples_run(path, capsys):
    run_blocks(path)
    out = capsys.readouterr().out
    if path.name == "rules.md":
        assert "log1p_neg_exp" in out   # the trace example printed the rule that fired


def test_every_doc_has_its_examples_found():
    counts = {p.name: len(code_blocks(p)) for p in DOC_FILES}
    assert counts["README.md"] >= 1 and counts["guide.md"] >= 4 and counts["rules.md"] >= 10
    assert counts["getting_started.md"] >= 4
    skipped = [(p.name, line) for p in DOC_FILES for line, _, s in code_blocks(p) if s]
    assert len(skipped) <= 2, f"too many blocks marked not runnable: {skipped}"
    # Python shown under another language tag would escape the test.
    for p in DOC_FILES:
        for m in FENCE.finditer(p.read_text()):
            lang = m["lang"].strip()
            assert lang in ("python", "bash", "text", "", "{pages}"), (p.name, lang)
            if lang == "":
                assert not re.search(r"^(import |from \S+ import )", m["body"], flags=re.M), (
                    f"{p.name}: an untagged block holds Python code; tag it ```python"
                )


def test_code_blocks_finds_skip_marker_and_indented_blocks(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("# t\n\n```python\nA = 1\n```\n\n" + SKIP_MARKER + "\n```python\nB\n```\n"
                   "\n* item\n\n  ```python\n  C = A + 1\n  ```\n\n```bash\nls\n```\n")
    assert code_blocks(doc) == [(4, "A = 1", False), (9, "B", True), (15, "C = A + 1", False)]
    assert run_blocks(doc)["C"] == 2


def test_tour_user_rule_fires_the_users_rule(capsys):
    from aesara_cas.tour import tour_user_rule

    tour_user_rule()
    out = capsys.readouterr().out
    assert "pythagoras" in out.split("rules fired:", 1)[1].splitlines()[0]
    assert "without the rule: " in out and "with rules=[pythagoras]: 1 + a" in out
    assert "(fired: log_of_exp)" in out


def api_doctests() -> list[doctest.DocTest]:
    """The docstring examples of the package and of every public name the API reference
    documents (``ac.__all__``, ``at.__all__``, ``at.linalg.__all__``) defined here."""
    import aesara_cas as ac
    from aesara_cas import tensor as at

    finder = doctest.DocTestFinder(recurse=True)
    tests = [t for t in doctest.DocTestFinder(recurse=False).find(ac) if t.examples]
    seen: set[int] = set()
    for module in (ac, at, at.linalg):
        for name in module.__all__:
            obj = getattr(module, name)
            if (id(obj) in seen or not (inspect.isclass(obj) or inspect.isfunction(obj))
                    or not getattr(obj, "__module__", "").startswith("aesara_cas")):
                continue   # modules, op instances, tables, and NumPy's LinAlgError
            seen.add(id(obj))
            tests += [t for t in finder.find(obj, f"{module.__name__}.{name}") if t.examples]
    return tests


def test_api_docstring_examples_run():
    tests = api_doctests()
    assert len(tests) >= 8
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for t in tests:
        runner.run(t, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
    assert result.attempted >= 30


def test_docs_name_every_rule_module_and_package():
    """docs/rules.md names each module the rule database reads, and the README's layout
    table has a row for every package of the source tree."""
    from aesara_cas.rewriting.database import RULE_MODULES

    rules_doc = (ROOT / "docs" / "rules.md").read_text()
    for modules in RULE_MODULES.values():
        for mod in modules:
            path = "rules/" + mod.lstrip("?").rsplit(".", 1)[1] + ".py"
            assert f"`{path}`" in rules_doc, f"docs/rules.md does not name {path}"
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for init in (ROOT / "aesara_cas").rglob("__init__.py"):
        package = init.parent.relative_to(ROOT).as_posix() + "/"
        if package != "aesara_cas/":
            assert f"`{package}`" in layout, f"README's layout table lacks {package}"
