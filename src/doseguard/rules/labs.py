"""The lab tests rules can read: their names, LOINC codes and the unit every value is converted to.

A result arrives as a LOINC code or a common name ("haemoglobin", "Hgb", "718-7") with a value in
one of several units (haemoglobin in g/dL, g/L or mmol/L); rules compare numbers, so every value is
converted to the test's one unit here, and a unit that cannot be converted is an error of that
record, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from doseguard.errors import LabValueError


@dataclass(frozen=True)
class LabTest:
    name: str  # as rules name it: lower_snake_case
    label: str  # as a message writes it
    unit: str  # the unit every value is converted to
    loinc: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    factors: dict[str, float] = field(default_factory=dict)  # unit (lower case) -> multiply by this
    # The values a patient's result can have, in ``unit``: wider than any real extreme, so that only a
    # slip (a value in another unit, a misplaced decimal, 1e300) is refused, never a sick patient.
    limits: tuple[float, float] = (0.0, 1e6)


_MOLAR_HB = 1.611  # g/dL per mmol/L of haemoglobin (monomer, 16.11 g/mmol)
_B12_PMOL = 1 / 0.738  # pg/mL per pmol/L (cyanocobalamin 1355 g/mol)

TESTS: tuple[LabTest, ...] = (
    LabTest("haemoglobin", "haemoglobin", "g/dL", ("718-7", "20509-6", "30313-1", "59260-0"),
            ("hemoglobin", "hb", "hgb", "haemoglobin (hb)"),
            {"g/dl": 1.0, "g/l": 0.1, "mmol/l": _MOLAR_HB, "mg/dl": 0.001}, (0.5, 30.0)),
    LabTest("haematocrit", "haematocrit", "%", ("4544-3", "20570-8", "31100-1"),
            ("hematocrit", "hct", "pcv"), {"%": 1.0, "l/l": 100.0, "fraction": 100.0}, (1.0, 90.0)),
    LabTest("mcv", "MCV", "fL", ("787-2", "30428-7"),
            ("mean corpuscular volume", "mean cell volume"), {"fl": 1.0, "um3": 1.0, "µm3": 1.0},
            (30.0, 200.0)),
    LabTest("reticulocytes", "reticulocytes", "%", ("17849-1", "4679-7", "31112-6"),
            ("reticulocyte", "retic", "retics", "reticulocyte count", "reticulocytes/100 erythrocytes"),
            {"%": 1.0, "/100 rbc": 1.0, "fraction": 100.0}, (0.0, 60.0)),
    LabTest("potassium", "potassium", "mmol/L", ("2823-3", "6298-4", "2824-1", "77142-8"),
            ("k", "k+", "serum potassium"), {"mmol/l": 1.0, "meq/l": 1.0}, (0.5, 15.0)),
    LabTest("b12", "vitamin B12", "pg/mL", ("2132-9", "14685-3", "16695-9"),
            ("vitamin b12", "cobalamin", "cyanocobalamin", "serum b12", "vitamin b-12", "b-12"),
            {"pg/ml": 1.0, "ng/l": 1.0, "pmol/l": _B12_PMOL}, (0.0, 100_000.0)),
    LabTest("folate", "folate", "ng/mL", ("2284-8", "14732-3", "2283-0"),
            ("folic acid", "serum folate"), {"ng/ml": 1.0, "ug/l": 1.0, "µg/l": 1.0, "nmol/l": 0.4413},
            (0.0, 1_000.0)),
    LabTest("methylmalonic_acid", "methylmalonic acid", "nmol/L", ("13964-2", "1971-1"),
            ("mma", "methylmalonic acid"), {"nmol/l": 1.0, "umol/l": 1000.0, "µmol/l": 1000.0},
            (0.0, 1_000_000.0)),
    LabTest("platelets", "platelets", "10^9/L", ("777-3", "26515-7"),
            ("platelet count", "plt", "platelet"),
            {"10^9/l": 1.0, "10*9/l": 1.0, "10^3/ul": 1.0, "10*3/ul": 1.0, "k/ul": 1.0, "/nl": 1.0},
            (0.0, 5_000.0)),
    LabTest("creatinine", "creatinine", "mg/dL", ("2160-0", "38483-4", "14682-9"),
            ("serum creatinine", "scr", "creat"), {"mg/dl": 1.0, "umol/l": 1 / 88.42, "µmol/l": 1 / 88.42},
            (0.01, 40.0)),
    LabTest("creatinine_clearance", "creatinine clearance", "mL/min", ("2164-2", "13441-1"),
            ("crcl", "creatinine clearance", "cockcroft-gault"), {"ml/min": 1.0}, (0.0, 500.0)),
    LabTest("egfr", "eGFR", "mL/min/1.73m2", ("33914-3", "62238-1", "98979-8", "48642-3", "48643-1"),
            ("gfr", "estimated gfr", "egfr"),
            {"ml/min/1.73m2": 1.0, "ml/min/{1.73_m2}": 1.0, "ml/min/1.73 m2": 1.0, "ml/min": 1.0},
            (0.0, 300.0)),
    LabTest("inr", "INR", "", ("6301-6", "34714-6"), ("international normalised ratio",
            "international normalized ratio"), {"": 1.0, "{inr}": 1.0, "ratio": 1.0}, (0.1, 30.0)),
    LabTest("anti_xa", "anti-Xa", "IU/mL", ("3274-1", "80627-3"), ("anti-xa", "anti xa", "heparin anti-xa"),
            {"iu/ml": 1.0, "u/ml": 1.0, "[iu]/ml": 1.0}, (0.0, 10.0)),
)  # fmt: skip

_BY_KEY: dict[str, LabTest] = {}
for _test in TESTS:
    for _key in (_test.name, _test.label.lower(), *_test.loinc, *_test.aliases):
        _BY_KEY.setdefault(_key.lower(), _test)


def lab_test(code_or_name: str) -> LabTest | None:
    """The test a LOINC code or a name ("Hgb", "haemoglobin", "718-7") means, or None."""
    key = " ".join(code_or_name.strip().lower().replace("_", " ").split())
    return _BY_KEY.get(key) or _BY_KEY.get(key.replace(" ", "_"))


def test_names() -> tuple[str, ...]:
    """The names rules and history declarations may use, in catalogue order."""
    return tuple(test.name for test in TESTS)


def convert(test: LabTest, value: float, unit: str | None) -> float:
    """``value`` in ``unit`` as the test's own unit; a blank unit is the test's unit. Raises
    :class:`LabValueError` (field ``unit``) for a unit the test is not measured in."""
    key = "".join((unit or "").split()).lower().replace("μ", "µ").replace("mcg", "ug")
    if not key:
        return within_limits(test, value, value, unit)
    factor = test.factors.get(key)
    if factor is None:
        known = ", ".join(sorted({u for u in test.factors if u})) or "no unit"
        raise LabValueError(f"{unit!r} is not a unit of {test.label} (expected one of: {known})", "unit")
    return within_limits(test, value * factor, value, unit)


def within_limits(test: LabTest, converted: float, value: float, unit: str | None) -> float:
    """``converted`` when a patient's result can have it; else :class:`LabValueError` (field
    ``value``) saying the range, in the unit the value was given in when that is not the test's."""
    low, high = test.limits
    if low <= converted <= high:
        return converted
    given = f"{value:g} {unit}".strip() if unit else f"{value:g} {test.unit}".strip()
    expected = f"{low:g} to {high:g} {test.unit}".strip()
    raise LabValueError(f"{given} is not a plausible {test.label} result (expected {expected})", "value")
