"""Adding, editing and retiring SIMs from the page; the TOML file stays the source of truth.

The forms are Flask-WTF forms (CSRF included). Every change goes through
feed.editing: the new text is validated by the start-up parser, checked against
the digest the form was opened with, and written atomically under a lock. When
the service may not write the file, the page shows the table to paste instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields import SelectChoice

from ..core.model import EXTEND_FROM, KINDS
from ..editing import document, drafts
from ..editing.configfile import Change, ConfigFile, NothingToUndo, NotSaved, NotWritable, Stale, digest
from ..editing.fields import FIELDS, RULE_CHOICES, to_values
from ..service import ConfigError
from ..service.catalogue import catalogue
from . import bodies, i18n, offload
from .auth import is_admin, login_required
from .current import service, snapshot
from .layout import render_page

bp = Blueprint("editor", __name__)
bp.before_request(bodies.allow_editor_body)

# Each field's label and hint, in FIELDS order; a field added there gets its words here.
LABELS: Mapping[str, Any] = {
    "name": lazy_gettext("Name"),
    "id": lazy_gettext("Id"),
    "preset": lazy_gettext("Carrier preset"),
    "number": lazy_gettext("Number"),
    "show_number": lazy_gettext("Show the whole number in the feed"),
    "carrier": lazy_gettext("Carrier"),
    "country": lazy_gettext("Country"),
    "last_renewal": lazy_gettext("Last renewal"),
    "keep_alive": lazy_gettext("Keep alive for"),
    "counts": lazy_gettext("What counts"),
    "expires": lazy_gettext("Expires on"),
    "topup_extends": lazy_gettext("A top-up extends by"),
    "topup_min_amount": lazy_gettext("Minimum top-up"),
    "topup_from": lazy_gettext("Extended from"),
    "topup_tiers": lazy_gettext("Tiers"),
    "charge_fee": lazy_gettext("Fee"),
    "charge_every": lazy_gettext("Charged every"),
    "charge_balance": lazy_gettext("Balance"),
    "charge_as_of": lazy_gettext("Balance on"),
    "charge_first": lazy_gettext("First charge"),
    "charge_currency": lazy_gettext("Currency"),
    "grace": lazy_gettext("Grace after the deadline"),
    "stages": lazy_gettext("Stages after the deadline"),
    "alarms": lazy_gettext("Alarms"),
    "alarm_time": lazy_gettext("Alarm time"),
    "tags": lazy_gettext("Tags"),
    "renew_url": lazy_gettext("Renewal page"),
    "how_to_renew": lazy_gettext("How to renew"),
    "notes": lazy_gettext("Notes"),
    "accounts": lazy_gettext("What depends on this number"),
}
HINTS: Mapping[str, Any] = {
    "id": lazy_gettext("Lower-case letters, digits and dashes; left empty, it is made from the name."),
    "preset": lazy_gettext("Fills in the rule, carrier, country and how to renew; your own fields win."),
    "carrier": lazy_gettext("Empty: the preset's."),
    "country": lazy_gettext("Empty: the preset's."),
    "keep_alive": lazy_gettext("Like 6 months or 180 days."),
    "topup_tiers": lazy_gettext("One a line, minimum: period, like 10: 90 days."),
    "accounts": lazy_gettext("One a line, like HSBC UK or WhatsApp: shown only when signed in."),
    "grace": lazy_gettext("Like 30 days; or stages below, not both."),
    "stages": lazy_gettext("One a line: after | status | recovery, like 90 days | suspended | top up."),
    "alarms": lazy_gettext("Days before the deadline, like 14 days, 3 days; none for no alarms; "
                           "empty: the calendar's."),
    "alarm_time": lazy_gettext("HH:MM; empty: the calendar's."),
    "tags": lazy_gettext("Words separated by commas, like family, work."),
}
RULE_LABELS: Mapping[str, Any] = {
    "": lazy_gettext("The preset's rule"),
    "keep_alive": lazy_gettext("Keep alive: a period after the last renewal"),
    "expires": lazy_gettext("Expires on a fixed date"),
    "topup": lazy_gettext("Each top-up extends validity"),
    "charge": lazy_gettext("A fee charged from the balance"),
}


def _widget(name: str, widget: str) -> Field:
    label = LABELS[name]
    if widget == "flag":
        return BooleanField(label)
    if widget == "area":
        return TextAreaField(label)
    if widget == "kinds":
        # Choices are set per request, in the page's language (_new_form).
        return SelectMultipleField(label, choices=[],
                                   option_widget=widgets.CheckboxInput(),
                                   widget=widgets.ListWidget(prefix_label=False),
                                   validate_choice=False)
    if widget == "choice":  # choices are set per request (presets) or below (from)
        return SelectField(label, choices=[], validate_choice=False)
    return StringField(label)


class SimForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """The SIM form: its fields come from feed.editing.fields.FIELDS."""

    digest = HiddenField()
    rule = SelectField(lazy_gettext("Rule"), choices=[SelectChoice(c, RULE_LABELS[c]) for c in RULE_CHOICES],
                       validate_choice=False)

    def values(self) -> dict[str, str]:
        """The typed values as feed.editing reads them: text, counts joined."""
        out = {"rule": self.rule.data or ""}
        for spec in FIELDS:
            data = self[spec.name].data
            if isinstance(data, bool):
                out[spec.name] = "on" if data else ""
            elif isinstance(data, list):
                out[spec.name] = ", ".join(data)
            else:
                out[spec.name] = data or ""
        return out


for _spec in FIELDS:
    setattr(SimForm, _spec.name, _widget(_spec.name, _spec.widget))


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """Retire and undo: a button, the CSRF token and the file's digest."""

    digest = HiddenField()


def _file() -> ConfigFile:
    return ConfigFile(service().watcher.path, current_app.instance_path)


def _who() -> str:
    """The signed-in session, as the change log names it: a random id, never the token."""
    if "editor" not in session:
        session["editor"] = secrets.token_hex(6)
    return str(session["editor"])


def _new_form(values: Mapping[str, str] | None = None) -> SimForm:
    form = SimForm(data=_form_data(values) if values is not None else None)
    # The kinds and starts in simfeed's one wording, as the feed and the SIM page say them;
    # the presets by their titles in the visitor's language.
    words = i18n.wording()
    form["preset"].choices = [SelectChoice("", "—"), *(SelectChoice(p.id, p.texts(words.language).title)
                                                       for p in catalogue().values())]
    form["topup_from"].choices = [SelectChoice("", "—"),
                                  *(SelectChoice(c, words.extends_from(c)) for c in EXTEND_FROM)]
    form["counts"].choices = [SelectChoice(k, words.kind(k)) for k in KINDS]
    return form


def _form_data(values: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = dict(values)
    for spec in FIELDS:
        if spec.widget == "flag":
            data[spec.name] = values.get(spec.name) == "on"
        elif spec.widget == "kinds":
            data[spec.name] = [k.strip() for k in values.get(spec.name, "").split(",") if k.strip()]
    return data


def _page(form: SimForm, sim_id: str | None, draft: drafts.Draft | None = None, *,
          preview: drafts.Preview | None = None, paste: str | None = None,
          message: str | None = None) -> str:
    file = _file()
    words = i18n.wording()
    errors = {name: words.reason(reason) for name, reason in draft.errors.items()} if draft else {}
    return render_page("editor.html", form=form, sim_id=sim_id, draft=draft, preview=preview, paste=paste,
                       message=message, errors=errors, fields=FIELDS, hints=HINTS,
                       presets=catalogue(), writable=file.writable(snapshot().config),
                       retire=ConfirmForm(digest=form.digest.data) if sim_id else None,
                       rules=RULE_LABELS, dates={f.name for f in FIELDS if f.widget == "date"})


def _preview(draft: drafts.Draft) -> drafts.Preview | None:
    """The feed's own code on the draft, with the renewal log joined as the feed joins it."""
    sim = draft.sim
    if draft.config is None or sim is None:
        return None
    joined = service().joined(draft.config)
    chosen = joined.sim(sim.id)
    return drafts.preview(chosen, joined, service().today(joined)) if chosen else None


def _submit(form: SimForm, sim_id: str | None, draft: drafts.Draft, what: str) -> str | BaseResponse:
    """Preview, save, or show what to paste: the end of both the add and the edit view."""
    if not draft.ok:
        return _page(form, sim_id, draft,
                     message=gettext("Nothing was saved: correct the fields marked below."))
    preview = _preview(draft)
    file = _file()
    if "save" not in request.form:
        return _page(form, sim_id, draft, preview=preview)
    if not file.writable(snapshot().config):
        return _page(form, sim_id, draft, preview=preview, paste=document.table_text(draft.table))
    change = Change(_who(), what, draft.sim_id or "", draft.changed)
    try:
        offload.run(service().save_draft, file, draft, form.digest.data or "", change)
    except Stale:
        return _page(form, sim_id, draft, preview=preview, message=_stale())
    except NotWritable:
        return _page(form, sim_id, draft, preview=preview, paste=document.table_text(draft.table))
    except NotSaved as error:
        return _page(form, sim_id, draft, preview=preview, message=_not_saved(error))
    except ConfigError:  # pragma: no cover - validated above; only a new parser rule gets here
        return _page(form, sim_id, draft, message=gettext("Nothing was saved: the file would be invalid."))
    flash(gettext("Saved to the config file. The feed shows %(name)s from now on.",
                  name=draft.table.get("name", "")), "success")
    return redirect(url_for("pages.sim", sim_id=draft.sim_id), 303)


F = TypeVar("F", bound=FlaskForm)


def _posted(form: F) -> F:
    """The form as sent; 400 without its session's CSRF token (another site, an expired page)."""
    if not form.validate_on_submit():
        abort(400, gettext("This form has expired or came from another site. Reload the page and try again."))
    return form


def _stale() -> str:
    return str(gettext("The config file changed since this form was opened (another tab, an editor, a "
                       "git pull). Nothing was saved: reload the page to see the file as it is now."))


def _not_saved(error: NotSaved) -> str:
    if error.disk_full:
        return str(gettext("Nothing was saved: the disk that holds the config file is full. The file is "
                           "as it was; free some space and save again."))
    return str(gettext("Nothing was saved: the config file could not be written. The file is as it was."))


def _refuse_signed_out() -> BaseResponse | None:
    if is_admin(snapshot().config):
        return None
    return redirect(url_for("pages.signin", next=request.path))


@bp.get("/sims/new")
def new() -> str | BaseResponse:
    refused = _refuse_signed_out()
    if refused:
        return refused
    form = _new_form({"preset": request.args.get("preset", ""), "rule": ""})
    form.digest.data = digest(_file().read())
    return _page(form, None)


@bp.post("/sims/new")
@login_required
def add() -> str | BaseResponse:
    form = _posted(_new_form())
    file = _file()
    draft = offload.run(drafts.add, file, file.read(), form.values())
    if draft.table.get("id") and not form.id.data:
        form.id.data = draft.table["id"]  # the suggested id, shown so it can be changed
    return _submit(form, None, draft, "added")


def _current_table(sim_id: str) -> tuple[str, document.Parsed, Mapping[str, Any]]:
    """The file's text, its document (parsed once for the whole request) and this SIM's table."""
    text = _file().read()
    doc = offload.run(document.parse, text)
    table = document.sim_table(doc, sim_id)
    if table is None:
        abort(404)
    return text, doc, table


@bp.get("/sims/<sim_id>/edit")
def edit(sim_id: str) -> str | BaseResponse:
    refused = _refuse_signed_out()
    if refused:
        return refused
    text, _doc, table = _current_table(sim_id)
    form = _new_form(to_values(table))
    form.digest.data = digest(text)
    return _page(form, sim_id)


@bp.post("/sims/<sim_id>/edit")
@login_required
def update(sim_id: str) -> str | BaseResponse:
    form = _posted(_new_form())
    _text, doc, _table = _current_table(sim_id)
    return _submit(form, sim_id, offload.run(drafts.edit, _file(), doc, sim_id, form.values()), "edited")


@bp.post("/sims/<sim_id>/retire")
@login_required
def retire(sim_id: str) -> str | BaseResponse:
    confirm = _posted(ConfirmForm())
    _text, doc, table = _current_table(sim_id)
    if request.form.get("confirmed") != "yes":  # the editor's button: ask first, without JavaScript
        return render_page("retire.html", sim_id=sim_id, name=table.get("name", sim_id),
                           retire=ConfirmForm(digest=confirm.digest.data))
    file = _file()
    draft = offload.run(drafts.retire, file, doc, sim_id)
    form = _new_form(to_values(table))
    form.digest.data = confirm.digest.data
    if not draft.ok:
        return _page(form, sim_id, draft, message=gettext("The SIM was not retired:"))
    if not file.writable(snapshot().config):
        return _page(form, sim_id, draft, message=gettext(
            "This service may not write the config file: remove the SIM's [[sim]] table from it yourself."))
    try:
        offload.run(service().save_draft, file, draft, confirm.digest.data or "",
                    Change(_who(), "retired", sim_id, ()))
    except (Stale, NotWritable):
        return _page(form, sim_id, draft, message=_stale())
    except NotSaved as error:
        return _page(form, sim_id, draft, message=_not_saved(error))
    flash(gettext("%(name)s was retired: its table left the config file; its renewal log is kept.",
                  name=table.get("name", sim_id)), "success")
    return redirect(url_for("pages.index"), 303)


@bp.post("/config/undo")
@login_required
def undo() -> BaseResponse:
    _posted(ConfirmForm())
    try:
        offload.run(_file().undo, _who())
    except NothingToUndo:
        flash(gettext("Nothing to undo: the file changed since the last change made here."), "info")
    except NotWritable:
        flash(gettext("This service may not write the config file."), "info")
    except NotSaved as error:
        flash(_not_saved(error), "info")
    else:
        flash(gettext("The config file is back as it was before the last change made here."), "success")
    return redirect(url_for("pages.index"), 303)


@bp.app_context_processor
def _editing() -> dict[str, Any]:
    """For the other pages' templates: links into this blueprint, and undo when there is one."""

    def can_undo() -> bool:
        return is_admin(snapshot().config) and _file().can_undo()

    return {"editor_can_undo": can_undo, "editor_confirm": ConfirmForm}
