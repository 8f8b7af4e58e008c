"""Pages generated from the package when the documentation is built.

``.. standard-rules::``
    Every rule of the standard rule sets, read from
    :func:`aesara_cas.rewriting.database.standard_database`: its name, the identity and
    domain its docstring states, its set and the module that declares it.  A rule added to a
    rule module appears without editing the docs.
``.. public-api:: MODULE``
    An autodoc entry for every public name of ``MODULE`` (its ``__all__``); the op
    instances of the tensor API (``at.exp``, ``at.sum``, ...) are summarised in tables.
``.. pages::``
    A ``toctree`` of the pages it lists, in that order, followed by every other page of
    the site (so a page added to ``docs/`` is never left out of the contents).  A glob
    ``*`` would do the same but warns when nothing is left for it to match.
"""

from __future__ import annotations

import importlib
import inspect
import posixpath

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.directives.other import TocTree
from sphinx.util.nodes import nested_parse_with_titles


def _table(header: list[str], rows: list[list[nodes.Node]], widths: list[int]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.paragraph(text=h) for h in header])
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell
        row += entry
    return row


def _literal(text: str) -> nodes.paragraph:
    para = nodes.paragraph()
    para += nodes.literal(text=text)
    return para


def rule_modules() -> dict[int, str]:
    """``id(rule) -> module name`` for the rules of every standard rule module."""
    from aesara_cas.rewriting import database

    owner: dict[int, str] = {}
    for modules in database.RULE_MODULES.values():
        for spec in modules:
            for rule in database._module_rules(spec):
                owner.setdefault(id(rule), spec.lstrip("?"))
    return owner


class StandardRules(Directive):
    """The table of every standard rule, one table per set in run order."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from aesara_cas.rewriting.database import LAST_SETS, standard_database
        from aesara_cas.rewriting.rewriter import rule_name

        db = standard_database()
        owner = rule_modules()
        out: list[nodes.Node] = []
        for set_name, rules in db.sets.items():
            when = ("after the fixpoint, once" if set_name in LAST_SETS
                    else "in the joint fixpoint with the user's rules")
            out.append(nodes.rubric(text=f"{set_name}: {len(rules)} rules, run {when}"))
            rows = []
            for rule in rules:
                doc = inspect.cleandoc(getattr(rule, "__doc__", None) or "(no docstring)")
                name = _literal(rule_name(rule))
                name["classes"].append("rule-name")
                rows.append([
                    name,
                    _literal(owner.get(id(rule), getattr(rule, "__module__", "?"))),
                    # As written: the identities are aligned plain text, not markup.
                    nodes.literal_block(doc, doc, language="none"),
                ])
            # The set is the rubric above its table.
            out.append(_table(["rule", "module", "identity and domain"], rows, [20, 22, 58]))
        return out


def _kind(obj: object) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj) and (inspect.isfunction(obj) or inspect.isbuiltin(obj)):
        return "function"
    return type(obj).__name__


class PublicApi(Directive):
    """Autodoc entries for the public names of a module."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from aesara_cas.graph.basic import Op

        modname = self.arguments[0]
        module = importlib.import_module(modname)
        names = list(getattr(module, "__all__", [n for n in dir(module) if n[:1] != "_"]))
        lines: list[str] = []
        ops: list[tuple[str, object]] = []
        for name in names:
            obj = getattr(module, name)
            kind = _kind(obj)
            if kind == "function":
                lines += [f".. autofunction:: {modname}.{name}", ""]
            elif kind == "class":
                lines += [f".. autoclass:: {modname}.{name}", ""]
                if not issubclass(obj, Op):
                    # An op class's methods (make_node, perform, L_op) are the protocol
                    # every op implements, not what a user calls.
                    lines[-1:] = ["   :members:", ""]
            elif hasattr(obj, "make_node"):
                ops.append((name, obj))   # an op instance: at.exp, at.sum, ...
            # Modules have pages or sections of their own (``at.linalg``), or are the
            # implementation modules a package imports from; tables (``ELEMWISE_OPS``)
            # are data, described by the functions that read them.
        out: list[nodes.Node] = []
        if ops:
            out += self._op_tables(ops)
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source=f"<{modname}>"),
                                 container)
        out += container.children
        return out

    def _op_tables(self, ops: list[tuple[str, object]]) -> list[nodes.Node]:
        elemwise, reductions = [], []
        for name, op in ops:
            scalar = getattr(op, "scalar_op", None)
            if scalar is not None:
                nin = scalar.nin
                args = "any number (>= 2)" if nin == -1 else str(nin)
                alias = "" if scalar.name == name else f"the op {scalar.name}"
                elemwise.append([_literal(f"at.{name}"), nodes.paragraph(text=args),
                                 nodes.paragraph(text=alias)])
            else:
                kind = getattr(op, "kind", name)
                peer = ("scipy.special.logsumexp" if kind == "logsumexp"
                        else f"numpy.{kind}")
                reductions.append([_literal(f"at.{name}"), _literal(peer)])
        out: list[nodes.Node] = []
        if elemwise:
            out.append(nodes.rubric(text="Element-wise operations"))
            out.append(nodes.paragraph(text=(
                "Each is an op instance (an Elemwise over a scalar op): calling it builds a "
                "node, and it is the head of the node's S-expression in rules. Arguments "
                "broadcast as in NumPy; output dtypes are NumPy's.")))
            out.append(_table(["name", "arguments", "same as"], elemwise, [30, 30, 40]))
        if reductions:
            out.append(nodes.rubric(text="Reductions"))
            out.append(nodes.paragraph(text=(
                "Op instances taking axis= (None, an int or a tuple) and keepdims= at the "
                "call, as NumPy's functions of the same names.")))
            out.append(_table(["name", "as"], reductions, [40, 60]))
        return out


class Pages(TocTree):
    """A toctree of the listed pages, then of all the others (sorted)."""

    def run(self) -> list[nodes.Node]:
        here = self.env.docname
        entries = [line.strip() for line in self.content if line.strip()]
        listed = {posixpath.normpath(posixpath.join(posixpath.dirname(here), e))
                  for e in entries}
        rest = sorted(self.env.found_docs - listed - {here})
        self.content = StringList(entries + rest, source=self.content.source(0)
                                  if self.content else here)
        return super().run()


def setup(app) -> dict:
    app.add_directive("standard-rules", StandardRules)
    app.add_directive("public-api", PublicApi)
    app.add_directive("pages", Pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
