"""The Sphinx site in docs/ builds with warnings as errors and lists every standard rule."""

import html
import re
import subprocess
import sys
from pathlib import Path

from aesara_cas.rewriting.database import standard_database
from aesara_cas.rewriting.rewriter import rule_name

DOCS = Path(__file__).resolve().parents[1] / "docs"


def build_site(out: Path) -> Path:
    # -W: any warning (a broken docstring, a dead link between pages) fails the build;
    # -E: read every page, ignoring any saved environment.  One process, no network.
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-j", "1",
         "-b", "html", "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"sphinx failed:\n{done.stderr}\n{done.stdout}"
    assert not done.stderr.strip(), done.stderr
    return out / "html"


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_site_builds_without_warnings(tmp_path):
    # One test, so that pytest-xdist never builds the site twice (once per worker).
    site = build_site(tmp_path)
    check_rule_page(site)
    check_api_reference(site)


def check_rule_page(site: Path) -> None:
    page = (site / "rule_list.html").read_text()
    # One rubric per set, then that set's table: the names in a section are the set's rules.
    parts = re.split(r'<p class="rubric">(\w+):', page)
    listed = {parts[i]: [_text(m) for m in re.findall(r'<p class="rule-name">(.*?)</p>',
                                                          parts[i + 1], flags=re.S)]
              for i in range(1, len(parts), 2)}
    db = standard_database()
    expected = {name: [rule_name(r) for r in rules] for name, rules in db.sets.items()}
    assert listed == expected
    assert sum(map(len, listed.values())) >= 50
    # Each rule shows its identity (docstring) and its module.
    text = _text(page)
    for rules in db.sets.values():
        for r in rules:
            first_line = " ".join(r.__doc__.strip().splitlines()[0].split())
            assert first_line in text, first_line
    assert "aesara_cas.rules.algebra" in page and "aesara_cas.rules.specialize" in page


def check_api_reference(site: Path) -> None:
    import aesara_cas as ac
    from aesara_cas import tensor as at

    page = (site / "api.html").read_text()
    for name in ac.__all__:
        if name != "tensor":
            assert f'id="aesara_cas.{name}"' in page, name
    for name in ("grad", "function", "simplify", "rule", "wild"):
        # The docstring's text is there, not only the signature.
        # (Compared without spaces: inline markup puts spaces around tags.)
        first = "".join(getattr(ac, name).__doc__.split("\n\n")[0].split()).replace("`", "")
        assert first[:30] in "".join(_text(page).split()), name
    for name in ("dvector", "as_tensor_variable", "TensorType", "einsum", "linalg.solve"):
        assert f'id="aesara_cas.tensor.{name}"' in page, name
    for op in ("exp", "log1p", "sum", "logsumexp"):
        assert f"at.{op}" in _text(page)
    assert callable(at.exp)
    for page_name in ("index", "getting_started", "guide", "rules", "performance",
                      "architecture"):
        assert (site / f"{page_name}.html").is_file()
