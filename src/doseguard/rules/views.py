"""What ``doseguard rules list / explain / vocabulary`` print: plain text for a reviewer, JSON for tools.

Pure functions of loaded rules (no I/O, no click), so the output is tested without a terminal. Plain
aligned text rather than a rich table: it survives a pipe, ``grep`` and a review comment unchanged. In
the rules layer, not the CLI's, because the service's rule pages (a card's ``source.url``) show the
same explanation.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from doseguard.numbers import format_number
from doseguard.rules.expressions import And, Expr, Not, Or, render
from doseguard.rules.history import Aggregate, not_evaluated_message
from doseguard.rules.language import SYNTAX, fields, functions, operators
from doseguard.rules.model import Notice, Override, Pack, Rule, RuleSet
from doseguard.vocabulary import VOCABULARY, FieldSpec

WIDTH = 100


# --- shared -----------------------------------------------------------------------------------------


def aligned(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column (titles, descriptions) is left ragged."""
    table = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in table
    ]
    return "\n".join(line.rstrip() for line in lines)


def value_text(value: Any) -> str:
    """A parameter value as an author writes it in YAML: ``2`` not ``2.0``, tables as ``{a: 1}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(float(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


# --- list -------------------------------------------------------------------------------------------


def rule_table(rules: Sequence[Rule], notices: Sequence[Notice] = ()) -> str:
    rows = [(r.id, r.severity.value, r.spec.status.value, r.pack, r.title) for r in rules]
    rows += [(n.id, n.severity.value, n.status.value, n.pack, n.title) for n in notices]
    return aligned(("ID", "SEVERITY", "STATUS", "PACK", "TITLE"), rows)


def listed_notices(rule_set: RuleSet) -> tuple[Notice, ...]:
    """The built-in notices the packs can give: the not-covered notice only when some pack names a
    drug (with none, every order is checked)."""
    return rule_set.notices if rule_set.covered_drugs else ()


def notice_summary(notice: Notice) -> dict[str, Any]:
    """A built-in notice for ``rules list --format json``, with a rule's keys."""
    return {
        "id": notice.id,
        "severity": notice.severity.value,
        "status": notice.status.value,
        "title": notice.title,
        "pack": notice.pack,
        "version": 1,
        "tags": [],
        "source": BUILT_IN,
        "overridden": [o.key for o in notice.overrides],
    }


def notice_text(notice: Notice) -> str:
    """``rules explain`` of a built-in notice: what it says, why, and its severity in force."""
    note = "".join(_override_text(o) for o in notice.overrides)
    facts = [
        ("pack", f"{notice.pack} (built into doseguard)"),
        ("severity", notice.severity.value + note),
        ("status", notice.status.value),
        ("source", BUILT_IN),
    ]
    heading = "\n".join([f"{notice.id}: {notice.title}", "", *(f"  {n + ':':<10} {t}" for n, t in facts)])
    references = (
        textwrap.fill(ref, WIDTH - 2, initial_indent="- ", subsequent_indent="  ")
        for ref in notice.references
    )
    sections = [
        heading,
        _section("Description", _paragraphs(notice.description)),
        _section("References", "\n".join(references)),
    ]
    return "\n\n".join(sections)


BUILT_IN = "built-in"


def rule_summary(rule: Rule) -> dict[str, Any]:
    """One rule for ``rules list --format json``: what a tool needs to pick rules, and where they are."""
    return {
        "id": rule.id,
        "severity": rule.severity.value,
        "status": rule.spec.status.value,
        "title": rule.title,
        "pack": rule.pack,
        "version": rule.spec.version,
        "tags": list(rule.spec.tags),
        "source": str(rule.source),
        "overridden": [o.key for o in rule.overrides],
    }


# --- explain ----------------------------------------------------------------------------------------


def explain_text(rule: Rule, pack: Pack | None) -> str:
    """Everything a reviewer needs to judge one rule, in the order they read it."""
    sections = [
        _heading(rule, pack),
        _section("Description", _paragraphs(rule.spec.description)),
        _section("When (as written)", _when_as_written(rule.spec.when)),
        _section(
            "Condition (as checked: with the pack's drugs and the parameter values in force)",
            "\n".join(outline(rule.condition)),
        ),
    ]
    parameters = _parameter_lines(rule)
    if parameters:
        sections.append(_section("Parameters", "\n".join(parameters)))
    aggregates = _aggregates_read(rule, pack)
    if aggregates:
        lines = [_wrapped(f"{a.name} ({a.unit or 'number'}): {a.field_spec.description}") for a in aggregates]
        sections.append(_section("History aggregates read", "\n".join(lines)))
    sections.append(_section("Message", _paragraphs(rule.spec.message)))
    if rule.fixes:
        fixes = [f"{fix.field} = {_bare(render(fix.expression))}" for fix in rule.fixes]
        if rule.fix_when is not None:
            fixes.append(f"only when: {_bare(render(rule.fix_when))}")
        sections.append(_section("Suggested fix", "\n".join(_wrapped(line) for line in fixes)))
    if rule.spec.override_reasons:
        sections.append(_section("Override reasons", "\n".join(_reason_lines(rule))))
    unevaluated = _unevaluated_lines(rule, pack, aggregates)
    if unevaluated:
        sections.append(
            _section("When it cannot be decided (data it reads is absent)", "\n".join(unevaluated))
        )
    references = (
        textwrap.fill(ref, WIDTH - 2, initial_indent="- ", subsequent_indent="  ")
        for ref in rule.spec.references
    )
    sections.append(_section("References", "\n".join(references)))
    return "\n\n".join(sections)


def _reason_lines(rule: Rule) -> list[str]:
    """The rule's override reasons, their code system once when they share one, and a site's change."""
    reasons = rule.spec.override_reasons
    systems = list(dict.fromkeys(reason.system for reason in reasons))
    shared = len(systems) == 1
    lines = [f"system: {systems[0]}"] if shared else []
    lines += [
        _wrapped(f"- {reason.code}: {reason.display}" + ("" if shared else f" ({reason.system})"))
        for reason in reasons
    ]
    changed = [o for o in rule.overrides if o.key == "override_reasons"]
    lines += [f"(site override at {o.source}{f': {o.reason}' if o.reason else ''})" for o in changed]
    return lines


def _bare(text: str) -> str:
    """An expression as rendered, without the parentheses around the whole of it."""
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for index, char in enumerate(text):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and index < len(text) - 1:
                return text
        return text[1:-1]
    return text


def _aggregates_read(rule: Rule, pack: Pack | None) -> list[Aggregate]:
    aggregates = pack.aggregates if pack is not None else {}
    return [aggregates[name] for name in sorted(rule.fields_read) if name in aggregates]


def _unevaluated_lines(rule: Rule, pack: Pack | None, aggregates: Sequence[Aggregate]) -> list[str]:
    """The not-evaluated finding's severity and message, for a rule that reads patient data or a
    history aggregate (none for a rule that reads only the order)."""
    vocabulary: dict[str, FieldSpec] = {**VOCABULARY, **(pack.vocabulary if pack is not None else {})}
    patient = sorted(name for name in rule.fields_read if name in VOCABULARY and vocabulary[name].needs)
    if not aggregates and not patient:
        return []
    own = rule.spec.unevaluated
    where = "the rule's unevaluated:" if own and own.severity else "the pack's unevaluated_severity"
    if rule.unevaluated_message is not None:
        message = f"{rule.unevaluated_message} (the rule's)"
    else:
        phrases = [
            *(f"no {vocabulary[name].label}" for name in patient),
            *(a.absent_phrase for a in aggregates),
        ]
        message = f"generated from what is absent, e.g. {not_evaluated_message(phrases)!r}"
    return [
        _wrapped(f"severity: {rule.unevaluated_severity.value} ({where})"),
        _wrapped(f"message: {message}"),
    ]


def _heading(rule: Rule, pack: Pack | None) -> str:
    pack_text = f"{rule.pack} ({pack.spec.title})" if pack is not None else rule.pack
    facts = [
        ("pack", pack_text),
        ("severity", rule.severity.value + _override_note(rule, "severity")),
        ("status", rule.spec.status.value),
        ("version", str(rule.spec.version)),
        ("tags", ", ".join(rule.spec.tags) or "(none)"),
        ("source", str(rule.source)),
    ]
    lines = [f"{rule.id}: {rule.title}", ""]
    lines += [f"  {name + ':':<10} {text}" for name, text in facts]
    return "\n".join(lines)


def _section(title: str, body: str) -> str:
    return title + "\n" + textwrap.indent(body, "  ")


def _paragraphs(text: str) -> str:
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    return "\n\n".join(textwrap.fill(" ".join(p.split()), WIDTH - 2) for p in paragraphs)


def _when_as_written(when: Any) -> str:
    """The ``when:`` of the file (comments aside): a string as it is, a block as YAML."""
    if isinstance(when, str):
        return when.strip()
    return yaml.safe_dump(when, sort_keys=False, allow_unicode=True, width=WIDTH).rstrip()


def outline(node: Expr) -> list[str]:
    """The resolved condition as an indented outline: ``all of:`` / ``any of:`` / ``not:`` blocks
    around single tests, nested ``and``s flattened (the pack's drug scope wraps the rule's own)."""
    if isinstance(node, And | Or):
        lines = ["all of:" if isinstance(node, And) else "any of:"]
        for item in _flatten(node):
            sub = outline(item)
            lines += ["  - " + sub[0], *("    " + line for line in sub[1:])]
        return lines
    if isinstance(node, Not) and isinstance(node.operand, And | Or):
        return ["not:", *("  " + line for line in outline(node.operand))]
    return [render(node)]


def _flatten(node: And | Or) -> list[Expr]:
    items: list[Expr] = []
    for item in node.items:
        items += _flatten(item) if type(item) is type(node) else [item]
    return items


def _parameter_lines(rule: Rule) -> list[str]:
    """Each parameter with its value in force; a site's change says where, what it replaced and why."""
    lines = [
        f"{name}: {value_text(value)}{_override_note(rule, name)}"
        for name, value in rule.spec.parameters.items()
    ]
    known = {*rule.spec.parameters, "severity", "override_reasons"}
    lines += [
        f"{o.key}: {value_text(o.site_value)}{_override_text(o)}"
        for o in rule.overrides
        if o.key not in known
    ]
    return [_wrapped(line) for line in lines]


def _wrapped(line: str) -> str:
    return textwrap.fill(
        line, WIDTH - 2, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )


def _override_note(rule: Rule, key: str) -> str:
    return "".join(_override_text(o) for o in rule.overrides if o.key == key)


def _override_text(override: Override) -> str:
    reason = f": {override.reason}" if override.reason else ""
    return f"   (site override at {override.source}, pack value {value_text(override.pack_value)}{reason})"


# --- vocabulary -------------------------------------------------------------------------------------


def vocabulary_data(rule_set: RuleSet | None = None) -> dict[str, Any]:
    """The language as data; with loaded rules, their packs' history aggregates after the fields."""
    return {
        "fields": [
            {
                "name": spec.name,
                "type": spec.type.value,
                "unit": spec.unit,
                "values": list(spec.values) if spec.values else None,
                "label": spec.label,
                "description": spec.description,
                "needs": spec.needs.value if spec.needs else None,
            }
            for spec in fields()
        ],
        "aggregates": [
            {
                "name": aggregate.name,
                "type": aggregate.field_spec.type.value,
                "unit": aggregate.unit,
                "pack": aggregate.pack,
                "label": aggregate.label,
                "needs": aggregate.kind.value,
                "definition": aggregate.definition,
                "description": aggregate.description,
            }
            for aggregate in _aggregates(rule_set)
        ],
        "operators": [{"operator": op.symbol, "kind": op.kind, "meaning": op.meaning} for op in operators()],
        "functions": [
            {"name": f.name, "usage": f.usage, "in_conditions": f.in_conditions, "in_messages": True}
            for f in functions()
        ],
        "syntax": list(SYNTAX),
    }


def _aggregates(rule_set: RuleSet | None) -> list[Aggregate]:
    """Every loaded pack's aggregates, pack by pack (one a pack shares with an earlier pack once)."""
    if rule_set is None:
        return []
    found: dict[str, Aggregate] = {}
    for pack in rule_set.packs:
        for name, aggregate in pack.aggregates.items():
            found.setdefault(name, aggregate)
    return list(found.values())


def vocabulary_text(rule_set: RuleSet | None = None) -> str:
    field_rows = [
        (
            spec.name,
            spec.type.value,
            spec.unit or "",
            ("(patient) " if spec.needs else "")
            + spec.description
            + (f" One of: {', '.join(spec.values)}." if spec.values else ""),
        )
        for spec in fields()
    ]
    aggregates = _aggregates(rule_set)
    aggregate_rows = [
        (a.name, a.field_spec.type.value, a.unit or "", a.pack, a.field_spec.description) for a in aggregates
    ]
    history = (
        textwrap.indent(aligned(("AGGREGATE", "TYPE", "UNIT", "PACK", "DEFINITION"), aggregate_rows), "  ")
        if aggregates
        else "  (none: no loaded pack declares history:)"
    )
    operator_rows = [(op.symbol, op.kind, op.meaning) for op in operators()]
    function_rows = [
        (f.usage.split(":", 1)[0], "conditions, messages" if f.in_conditions else "messages only",
         f.usage.split(":", 1)[1].strip())
        for f in functions()
    ]  # fmt: skip
    return "\n\n".join(
        [
            "Fields of the order (a field the order does not state makes a comparison false; a "
            "(patient) field is the patient's, and a rule it leaves undecided is not evaluated)\n"
            + textwrap.indent(aligned(("FIELD", "TYPE", "UNIT", "DESCRIPTION"), field_rows), "  "),
            "History aggregates of the loaded packs (pack.yaml history:; computed from the patient's "
            "history, absent when it has nothing to say: a rule it leaves undecided is not evaluated)\n"
            + history,
            "Operators\n" + textwrap.indent(aligned(("OPERATOR", "KIND", "MEANING"), operator_rows), "  "),
            "Functions\n" + textwrap.indent(aligned(("FUNCTION", "USED IN", "MEANING"), function_rows), "  "),
            "Also\n" + "\n".join(f"  {line}" for line in SYNTAX),
        ]
    )
