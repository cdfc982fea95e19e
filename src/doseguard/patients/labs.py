"""The lab catalogue, as the patients package names it.

The catalogue itself is ``doseguard.rules.labs``: the rule language names lab tests in a pack's
``history:`` block (``latest: haemoglobin``), and the rules layer may not import this package.
"""

from doseguard.rules.labs import TESTS, LabTest, convert, lab_test, test_names

__all__ = ["TESTS", "LabTest", "convert", "lab_test", "test_names"]
