"""doseguard: medication-order safety rules in YAML, evaluated by durable-rules.

The public API::

    import doseguard
    results = doseguard.check([{"order_id": "1", ...}])   # or a path; the bundled packs by default

    from doseguard import load_rules, Checker, InputRecord
    checker = Checker(load_rules())            # the bundled packs
    result = checker.check(InputRecord("order", {"order_id": "1", ...}))
"""

from doseguard.checker import Checker
from doseguard.errors import (
    DoseguardError,
    EngineError,
    InputError,
    InvalidOrderError,
    RulePackError,
)
from doseguard.jobs import check
from doseguard.records import InputRecord
from doseguard.results import Finding, OrderResult, ResultStatus, Summary
from doseguard.rules.loader import load_rules
from doseguard.rules.model import RuleSet, Severity

__version__ = "0.1.0"

__all__ = [
    "Checker",
    "DoseguardError",
    "EngineError",
    "Finding",
    "InputError",
    "InputRecord",
    "InvalidOrderError",
    "OrderResult",
    "ResultStatus",
    "RulePackError",
    "RuleSet",
    "Severity",
    "Summary",
    "__version__",
    "check",
    "load_rules",
]
