"""The examples in docs/rules.md run and their assertions hold."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def code_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_docs_rules_examples_run(capsys):
    blocks = code_blocks()
    assert len(blocks) >= 5
    namespace: dict = {}
    for block in blocks:
        if block.lstrip().startswith("RULES ="):
            continue  # the module-level convention, shown out of context
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    assert "log1p_neg_exp" in capsys.readouterr().out
