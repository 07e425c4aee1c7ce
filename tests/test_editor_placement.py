"""Issue 21: a save changes only that SIM's own lines, wherever its [[sim]] table stands (after
[[notify]] tables, between [[feed]]s), with every blank line and comment elsewhere kept.
"""

from __future__ import annotations

from datetime import date

import pytest

from feed.editing import document

HEAD = '''# My SIMs
[calendar]
name = "Mine"
timezone = "Europe/London"

'''
FIRST = '''[[sim]]
id = "a"
name = "A"
keep_alive = "6 months"
last_renewal = 2026-01-01


'''
NOTIFY = '''[[notify]]
id = "phone"
urls = ["ntfy://ntfy.sh/simfeed-topic"]

# the second SIM, added later, after the push channel
'''
SECOND = '''[[sim]]
id = "b"
name = "B"

keep_alive = "6 months"   # as the carrier says
last_renewal = 2026-01-01

[sim.keep_cost]
amount = 10
currency = "GBP"

'''
TAIL = '''[[feed]]
id = "family"
name = "Family"
sims = ["a", "b"]
'''
TEXT = HEAD + FIRST + NOTIFY + SECOND + TAIL


def table(sim_id: str, name: str) -> dict[str, object]:
    return {"id": sim_id, "name": name, "keep_alive": "6 months", "last_renewal": date(2026, 1, 1)}


@pytest.mark.parametrize(("sim_id", "before", "own"),
                         [("a", HEAD, FIRST), ("b", HEAD + FIRST + NOTIFY, SECOND)],
                         ids=["first", "after-notify"])
def test_an_edit_changes_that_sims_name_line_and_nothing_else(sim_id, before, own):
    edited = document.update_sim(TEXT, sim_id, table(sim_id, "Renamed"))
    expected_own = own.replace(f'name = "{sim_id.upper()}"', 'name = "Renamed"')
    assert edited == before + expected_own + TEXT[len(before) + len(own):]


def test_retiring_the_sim_after_notify_leaves_every_other_byte():
    edited = document.remove_sim(TEXT, "b")
    assert edited.startswith(HEAD + FIRST + NOTIFY) and edited.endswith(TAIL)
    assert 'id = "b"' not in edited and "keep_cost" not in edited


def test_a_new_sim_goes_after_the_last_sim_in_the_file_and_nothing_moves():
    edited = document.add_sim(TEXT, table("c", "C"))
    new = '[[sim]]\nid = "c"\nname = "C"\nkeep_alive = "6 months"\nlast_renewal = 2026-01-01\n'
    assert edited == HEAD + FIRST + NOTIFY + SECOND + new + "\n" + TAIL
