"""Property: any valid SIM written through the form and read back gives the same model."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from feed.config.load import parse_config
from feed.config.presets import catalogue
from feed.editing import document, drafts
from feed.editing.configfile import ConfigFile
from feed.editing.fields import to_table, to_values

from .conftest import BASIC
from .strategies import examples

PERIODS = st.sampled_from(["6 months", "180 days", "1 year", "P90D", "2 weeks", "1 year 6 months"])
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat)
SLUG = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
               max_size=30).filter(lambda s: s.strip() != "" and "|" not in s)
AMOUNTS = st.one_of(st.integers(0, 500).map(str), st.sampled_from(["9.99", "0.5", "100.25"]))


@st.composite
def form_values(draw: st.DrawFn) -> dict[str, str]:
    rule = draw(st.sampled_from(["", "keep_alive", "expires", "topup", "charge"]))
    values = {"name": draw(TEXT), "id": draw(SLUG), "rule": rule, "last_renewal": draw(DAYS),
              "preset": draw(st.sampled_from(sorted(catalogue()))) if rule == "" else
              draw(st.sampled_from(["", *sorted(catalogue())]))}
    if rule == "keep_alive":
        values["keep_alive"] = draw(PERIODS)
        values["counts"] = ", ".join(draw(st.lists(st.sampled_from(["topup", "call", "sms", "data"]),
                                                   min_size=1, max_size=4, unique=True)))
    elif rule == "expires":
        values["expires"] = draw(DAYS)
    elif rule == "topup":
        if draw(st.booleans()):
            values["topup_extends"] = draw(PERIODS)
            values["topup_min_amount"] = draw(st.just("") | AMOUNTS)
        else:
            mins = draw(st.lists(st.integers(1, 300), min_size=1, max_size=3, unique=True))
            values["topup_tiers"] = "\n".join(f"{m}: {draw(PERIODS)}" for m in mins)
        values["topup_from"] = draw(st.sampled_from(["", "topup", "expiry", "later"]))
    elif rule == "charge":
        values.update(charge_fee=draw(st.integers(1, 20).map(str)), charge_every=draw(PERIODS),
                      charge_balance=draw(AMOUNTS), charge_as_of=draw(DAYS))
    after = draw(st.sampled_from(["", "grace", "stages"]))
    if after == "grace":
        values["grace"] = draw(PERIODS)
    elif after == "stages":
        recovery = draw(st.just("") | TEXT.map(" | ".__add__))
        values["stages"] = f"{draw(PERIODS)} | {draw(TEXT).strip()}{recovery}"
    values["alarms"] = draw(st.sampled_from(["", "none", "14 days, 3 days", "0 days", "2 weeks"]))
    values["alarm_time"] = draw(st.sampled_from(["", "09:00", "21:30"]))
    values["tags"] = ", ".join(draw(st.lists(SLUG, max_size=3, unique=True)))
    values["number"] = draw(st.just("") | st.from_regex(r"\+[1-9][0-9 ]{6,14}[0-9]", fullmatch=True))
    values["show_number"] = draw(st.sampled_from(["", "on"]))
    values["notes"] = draw(st.just("") | TEXT)
    return values


@settings(max_examples=examples(40))
@given(values=form_values())
def test_a_sim_written_through_the_form_reads_back_as_the_same_model(values: dict[str, str],
                                                                   tmp_path_factory):
    path: Path = tmp_path_factory.mktemp("prop") / "sims.toml"
    path.write_text(BASIC, encoding="utf-8")
    file = ConfigFile(path, path.parent)
    assume(values["id"] not in ("giffgaff", "cubacel"))
    draft = drafts.add(file, BASIC, values)
    assume(draft.ok)  # the parser's own limits (a deadline after 9999, a charge too small) aside
    assert draft.text is not None and draft.sim is not None
    # The model of the written file is the model of the table itself, parsed without any text.
    table, _ = to_table(values)
    expected = parse_config({"sim": [table]}).sims[0]
    assert file.validate(draft.text).sim(table["id"]) == expected == draft.sim
    # Opened again in the form and saved unchanged: the same table, the same bytes.
    shown = to_values(document.sim_tables(draft.text)[table["id"]])
    assert to_table(shown) == (table, {})
    assert document.update_sim(draft.text, table["id"], to_table(shown)[0]) == draft.text
