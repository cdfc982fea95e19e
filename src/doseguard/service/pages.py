"""A rule's explanation as a web page (a card's ``source.url``): what ``doseguard rules explain``
prints, escaped into HTML."""

from __future__ import annotations

import html

from doseguard.rules.model import RuleSet
from doseguard.rules.views import explain_text, notice_text

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}pre{{white-space:pre-wrap}}</style>
</head><body><h1>{title}</h1><pre>{text}</pre><p>Rules version {version}</p></body></html>
"""


def rule_page(rules: RuleSet, rule_id: str) -> str | None:
    """The page of a rule (or built-in notice) of ``rules``; None when there is none of that id."""
    rule = next((r for r in rules.rules if r.id == rule_id.upper()), None)
    if rule is not None:
        pack = next((p for p in rules.packs if p.spec.name == rule.pack), None)
        return _page(f"{rule.id}: {rule.title}", explain_text(rule, pack), rules.version)
    notice = next((n for n in rules.notices if n.id == rule_id.upper()), None)
    if notice is not None:
        return _page(f"{notice.id}: {notice.title}", notice_text(notice), rules.version)
    return None


def _page(title: str, text: str, version: str) -> str:
    return PAGE.format(title=html.escape(title), text=html.escape(text), version=html.escape(version))
