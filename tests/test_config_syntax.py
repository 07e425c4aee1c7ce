"""Issue 21: a TOML syntax error names the file, line and table, shows the line and says what to
write; "did you mean" knows case and synonyms; an unknown preset is one problem, not three.
"""

from __future__ import annotations

import pytest

from .helpers import config_problems

BASIC = '[calendar]\nname = "Test SIMs"\ntimezone = "Europe/London"\n'

SIM = '\n[[sim]]\nid = "gg"\nname = "giffgaff"\nkeep_alive = "6 months"\n'


def one_problem(toml: str) -> str:
    problems = config_problems(toml)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("written", ["09/06/2026", "2026-13-01", "2026-06-31", "9.6.2026"],
                         ids=["day-month-year", "month-13", "june-31", "dots"])
def test_a_date_not_written_the_toml_way_says_how_to_write_it(written):
    problem = one_problem(BASIC + SIM + f"last_renewal = {written}\n")
    line = BASIC.count("\n") + SIM.count("\n") + 1
    assert problem.startswith(f"test.toml: line {line}, column "), problem
    assert 'in [[sim]] "gg": ' in problem
    assert f"last_renewal = {written}" in problem
    assert "2026-06-09" in problem and "year-month-day" in problem


def test_a_sim_written_with_one_bracket_says_to_write_two():
    text = BASIC + '\n[sim]\nid = "a"\nname = "A"\n\n[sim]\nid = "b"\nname = "B"\n'
    problem = one_problem(text)
    assert "[[sim]]" in problem and "two brackets" in problem
    assert "Cannot declare" in problem  # tomllib's own words come last, for a search


def test_a_single_bracket_sim_before_a_double_one_is_named_by_its_line():
    text = BASIC + '\n[sim]\nid = "a"\nname = "A"\n\n[[sim]]\nid = "b"\nname = "B"\n'
    start = BASIC.count("\n") + 2
    assert f"line {start} writes [sim] with one bracket: write [[sim]] there" in one_problem(text)


def test_the_table_without_an_id_is_named_by_its_place():
    problem = one_problem(BASIC + '\n[[sim]]\nname = giffgaff\n')
    assert "in [[sim]] #1" in problem and 'text is written in quotes, like name = "giffgaff"' in problem


def test_a_line_that_may_hold_a_secret_is_not_shown():
    problem = one_problem(BASIC + '\n[server]\nadmin_token = s3cret-Token-value\n')
    assert "s3cret" not in problem and "in [server]" in problem


@pytest.mark.parametrize(("written", "meant"), [("phone_number", "number"), ("Number", "number"),
                                                ("expiry", "expires"), ("kep_alive", "keep_alive")])
def test_did_you_mean_knows_case_synonyms_and_spelling(written, meant):
    problem = one_problem(BASIC + SIM + f'last_renewal = 2026-06-02\n{written} = "x"\n')
    assert f'unknown key "{written}" (did you mean "{meant}"?)' in problem


def test_an_unknown_preset_is_one_problem_with_a_suggestion():
    problem = one_problem(BASIC + '\n[[sim]]\nid = "hk"\nname = "HK"\npreset = "hahaSIM"\n')
    assert '"hahaSIM" is not a preset (did you mean "hahasim"?' in problem
