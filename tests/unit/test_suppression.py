"""Small-cell suppression: primary (1..min_cell-1), complementary (chains and sums cannot be solved for a hidden
cell), derived values and withheld identifiers, driven by the data contracts."""

from __future__ import annotations

import random

import polars as pl

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.suppression import _equations, leaked_small_counts, suppress_frame, suppressed_cells
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT

CONTRACTS = load_contracts(CONTRACTS_ROOT)
CHAIN = [{"kind": "chain", "by": ["arm"], "order": "step", "total": "remaining", "part": "removed"}]


def test_counts_below_the_threshold_are_hidden_and_shown_as_less_than() -> None:
    contract = CONTRACTS["marts.survival_summary"]
    frame = pl.DataFrame({"analysis": ["a"] * 4, "arm": list("wxyz"), "n": [0, 1, 10, 11], "events": [0, 0, 3, 11]})
    out = suppress_frame(frame, contract, 11)
    assert out["n"].to_list() == [0, None, None, 11]
    assert out["n_display"].to_list() == ["0", "<11", "<11", "11"]
    assert out.columns[:5] == ["analysis", "arm", "n", "n_display", "events"]
    assert leaked_small_counts(out, contract, 11) == []
    assert leaked_small_counts(frame, contract, 11) != []


def test_attrition_chain_cannot_be_solved_for_a_hidden_cell() -> None:
    frame = pl.DataFrame(
        {"arm": ["x"] * 4, "step": [1, 2, 3, 4], "remaining": [100, 95, 90, 5], "removed": [0, 5, 5, 85]}
    )
    hidden = suppressed_cells(frame, ["remaining", "removed"], CHAIN, 11)
    assert {(1, "removed"), (2, "removed"), (3, "remaining")} <= hidden
    for cells in _equations(frame, CHAIN):
        assert sum(c in hidden for c in cells) != 1


def test_random_chains_and_sums_never_leave_one_hidden_cell_in_an_equation() -> None:
    rng = random.Random(3)
    rules = [*CHAIN, {"kind": "sum", "by": ["arm"], "part": "removed"}]
    for _ in range(200):
        rows = []
        for arm in ("a", "b"):
            remaining = rng.randint(0, 60)
            for step in range(1, 7):
                removed = min(remaining, rng.choice([0, 1, 2, 5, 12, 30]))
                remaining -= removed
                rows.append({"arm": arm, "step": step, "remaining": remaining, "removed": removed})
        frame = pl.DataFrame(rows)
        hidden = suppressed_cells(frame, ["remaining", "removed"], rules, 11)
        for cells in _equations(frame, rules):
            assert sum(c in hidden for c in cells) != 1
        for i, row in enumerate(rows):
            for column in ("remaining", "removed"):
                if 0 < row[column] < 11:
                    assert (i, column) in hidden


def test_table_one_levels_derived_shares_and_withheld_keys() -> None:
    contract = CONTRACTS["marts.baseline_characteristics"]
    columns = contract.column_names
    base = dict.fromkeys(columns)
    rows = []
    for level, n in (("female", 3), ("male", 50), ("unknown", 47)):
        rows.append({**base, "covariate": "sex", "level": level, "n_exposed": n, "pct_exposed": n, "n_comparator": 500})
    frame = pl.DataFrame(rows, schema={c: (pl.Int64 if c.startswith("n_") else None) for c in columns}, strict=False)
    out = suppress_frame(frame, contract, 11)
    assert out["n_exposed"].to_list() == [None, 50, None]  # 3 hidden, then 47 to protect it from 100 - 50 - 47
    assert out["pct_exposed"].to_list()[0] is None and out["pct_exposed"].to_list()[1] == 50
    qa = CONTRACTS["qa.expectation_results"]
    frame = pl.DataFrame({"example_keys": ['["F000000000001"]'], "unexpected_count": [2], "unexpected_share": [0.1]})
    out = suppress_frame(frame, qa, 11)
    assert out["example_keys"].to_list() == [None] and out["unexpected_share"].to_list() == [None]
