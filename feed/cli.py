"""Flask commands: check a config, export the feed, and keep the renewal log."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import cli_backup
from .core import tokens
from .core.files import atomic_write
from .core.languages import from_environment
from .core.model import KINDS, LANGUAGES, METHODS, N_, Config, Sim
from .core.wording import Wording
from .reminders import runner
from .service import (
    ConfigError,
    CopyRefused,
    LogUnavailable,
    RenewalInvalid,
    Service,
    UnknownSim,
    catalogue,
    databases,
    sending,
)
from .service.admin_token import Source
from .service.checkup import Checkup

# The columns of `renewals` as a table (its CSV and JSON carry every field).
TABLE_FIELDS = ("id", "sim_id", "date", "kind", "amount", "currency", "method", "reference", "note")


class _Command(click.Command):
    """A command whose bad arguments are one line and exit 1, like every other CLI error."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            raise click.ClickException(error.format_message()) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LogUnavailable as error:  # the database is down: one line, nothing stored
            raise click.ClickException(str(error)) from None


def _service() -> Service:
    found: Service = current_app.extensions["simfeed"]
    return found


def _load_or_exit(path: str | None = None, also: Sequence[str] = (), join_log: bool = True) -> Config:
    """The config (the app's unless a path is given) read strictly, with the renewal log applied
    (unless not `join_log`); a bad one exits with its problems.

    `also` are problems found beside the config (a refused setting): they fail it too.
    """
    try:
        config = _service().checked(path, join_log=join_log)
    except ConfigError as error:
        _fail([*also, *map(_words().problem, error.problems)])
    if also:
        _fail(also)
    return config


def _words() -> Wording:
    """simfeed's wording in the language the shell's locale asks for (LANGUAGE, LC_ALL, LANG)."""
    return Wording(from_environment(os.environ))


def _fail(lines: Sequence[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(1)


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@click.command("check", cls=_Command)
@click.argument("file", required=False)
@with_appcontext
def check_command(file: str | None) -> None:
    """Validate the config (and SIMFEED_ADMIN_TOKEN) and list upcoming deadlines, soonest first."""
    refused = current_app.extensions.get("simfeed.refused_settings", ())
    found = _service().checkup(_load_or_exit(file, refused))
    config, today, words = found.config, found.today, _words()
    click.echo(words._("%(source)s: OK, %(count)d SIMs (today is %(today)s in %(zone)s)",
                       count=len(config.sims), source=config.source, today=today.isoformat(),
                       zone=config.calendar.timezone.key))
    if not found.deadlines:
        return
    click.echo(_table(_deadline_rows(found, words)))
    cost = words._("cost per year: %(amounts)s", amounts=words.amounts(found.projected) or "-")
    if found.uncosted:
        cost += words._(" (not counted, no keep_cost: %(sims)s)", sims=", ".join(found.uncosted))
    click.echo(cost)
    click.echo(words._("paid in the last 12 months: %(amounts)s", amounts=words.amounts(found.paid) or "-"))
    for sim in found.old_rules:
        assert sim.preset is not None  # old_rules holds preset-based SIMs only
        click.echo(f"{sim.id}: preset {sim.preset.id}: {words.checked_ago(sim.preset.checked, today)}")
    _echo_channels(found, words)


def _deadline_rows(found: Checkup, words: Wording) -> list[tuple[str, ...]]:
    """`check`'s table: a heading, then each deadline, soonest first."""
    heading = (N_("ID"), N_("NAME"), N_("LAST RENEWAL"), N_("DEADLINE"), N_("DAYS LEFT"),
               N_("RECOVERABLE UNTIL"), N_("COST/YEAR"))
    rows: list[tuple[str, ...]] = [tuple(words._(name) for name in heading)]
    for d in found.deadlines:
        last = d.sim.last_renewal.date.isoformat() if d.sim.last_renewal else "-"
        grace = d.grace_until.isoformat() if d.grace_until else "-"
        plan = found.costs[d.sim.id].projected
        cost = words.money(plan.cost.amount, plan.cost.currency) if plan else "-"
        left = str(d.days_left(found.today))
        rows.append((d.sim.id, d.sim.label, last, d.due.isoformat(), left, grace, cost))
    return rows


def _echo_channels(found: Checkup, words: Wording) -> None:
    """Each push channel, its URLs masked (they are secrets), and what its messages will lack."""
    for channel in found.channels:
        line = words._("notify %(id)s: %(count)d SIMs, %(language)s, to %(urls)s", id=channel.id,
                       count=len(channel.sim_ids), language=channel.language, urls=", ".join(channel.shown))
        if channel.variable:
            line += words._(" from $%(variable)s", variable=channel.variable)
        click.echo(line)
    for gateway in found.gateways:
        origin = f" from ${gateway.variable}" if gateway.variable else ""
        click.echo(f"gateway {gateway.id}: {', '.join(gateway.shown)}{origin}, autopilot of "
                   + (", ".join(gateway.sim_ids) or "no SIM"))
    if found.no_link:
        click.echo(words._("reminders carry no \"I have renewed it\" link: set public_url in [server] "
                           "(the runner cannot know the address people reach the service at)"))


@click.command("export", cls=_Command)
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_command(file: str) -> None:
    """Write the feed to FILE, replacing it in one step, for static hosting."""
    _load_or_exit(join_log=False)  # explains a bad config; the feed is then built as the server builds it
    config, body = _service().feed_body()
    atomic_write(Path(file), body, mode=0o644)
    click.echo(f"wrote {len(body)} bytes, {len(config.sims)} SIMs, to {file}")


@click.command("renew", cls=_Command)
@click.argument("sim_id", metavar="ID")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When (default: today in the calendar's zone).")
@click.option("--kind", type=click.Choice(KINDS), help="What it was (default topup).")
@click.option("--amount", help="How much was paid (0 for a free SMS that counts).")
@click.option("--currency", help="Three-letter code, like GBP.")
@click.option("--method", type=click.Choice(METHODS), help="How it was paid.")
@click.option("--reference", help="The transaction reference, for disputes.")
@click.option("--note")
@with_appcontext
def renew_command(sim_id: str, on: str | None, **given: str | None) -> None:
    """Record a renewal of SIM ID and print its new deadline."""
    config = _load_or_exit(join_log=False)  # checked; the renewal is recorded on the served one
    today = _service().today(config)
    try:
        recorded = _service().record(sim_id, {"date": on, **given})
    except UnknownSim:
        _fail([f"no SIM {sim_id!r} in {config.source}"])
    except RenewalInvalid as invalid:
        _fail([f"{name}: {_words().reason(reason)}" for name, reason in invalid.reasons.items()])
    stored, deadline = recorded.stored, recorded.deadline
    click.echo(f"recorded renewal #{stored.id} of {sim_id} on {stored.renewal.date.isoformat()}; "
               f"deadline now {deadline.due.isoformat()} ({deadline.days_left(today)} days left)")


@click.command("renewals", cls=_Command)
@click.argument("sim_id", metavar="[ID]", required=False)
@click.option("--format", "form", type=click.Choice(["table", "csv", "json"]), default="table")
@with_appcontext
def renewals_command(sim_id: str | None, form: str) -> None:
    """List renewals, newest first: the log's (with ids) and the config's."""
    config = _load_or_exit(join_log=False)  # checked; the records join the log themselves
    try:
        if form != "table":
            click.echo(_service().export_renewals(sim_id, form), nl=False)
            return
        rows = _service().renewal_records(sim_id)
    except UnknownSim as unknown:
        _fail([f"no SIM {unknown.args[0]!r} in {config.source} or in the renewal log"])
    if rows:
        table = [[_cell(row[k]) for k in TABLE_FIELDS] for row in rows]
        click.echo(_table([[k.upper() for k in TABLE_FIELDS], *table]))
    else:
        click.echo("no renewals")


@click.command("unrenew", cls=_Command)
@click.argument("renewal_id", type=int)
@with_appcontext
def unrenew_command(renewal_id: int) -> None:
    """Remove a mistaken entry from the renewal log."""
    stored = _service().undo(renewal_id)
    if stored is None:
        _fail([f"no renewal #{renewal_id} in the log"])
    click.echo(f"removed renewal #{renewal_id} of {stored.sim_id} ({stored.renewal.date.isoformat()})")


@click.command("presets", cls=_Command)
@click.option("--language", type=click.Choice(LANGUAGES), default="en", help="The language of the texts.")
def presets_command(language: str) -> None:
    """List the carrier presets a SIM can name with preset = "…": rule, confidence, sources, age."""
    words = Wording(language)
    for entry in catalogue.entries():
        if entry.sim is None:  # the test suite parses every preset; this guards a hand-edited catalogue
            _fail([words.problem(problem) for problem in entry.problems])
        click.echo("\n".join(_preset_lines(entry, entry.sim, language, words)))
    click.echo("Carriers change their rules: check your carrier's current terms.")


def _preset_lines(entry: catalogue.Entry, sim: Sim, language: str, words: Wording) -> list[str]:
    """One preset as `presets` lists it, in `language`."""
    preset, texts = entry.preset, entry.preset.texts(language)
    after = "; ".join(f"+{stage.after_text}: {words.status(stage, sim)}" for stage in sim.stages)
    age = words.days(entry.days) if entry.months == 0 else \
        words.ngettext("%(num)d month", "%(num)d months", entry.months)
    lines = [f"{preset.id}: {texts.title}", f"  rule: {words.rule_summary(sim.rule)}",
             f"  what counts: {texts.what_counts}"]
    if texts.not_counted:
        lines.append(f"  does not count: {texts.not_counted}")
    if after:
        lines.append(f"  after the deadline: {after}")
    lines += [f"  renew by {words.way(way)}: {how}" for way, how in texts.renew_ways]
    for cost in entry.keep_costs:
        home = cost.country is None
        action = texts.keep_cost_action if cost.country is None else texts.abroad_action(cost.country)
        lines.append(f"  cheapest action ({'at home' if home else f'kept in {cost.country}'}): "
                     f"{words.money(cost.price['amount'], cost.price['currency'])}, {action} "
                     f"({cost.price.get('source', 'no source')})")
    if sim.check:
        lines.append(f"  {words.check_line(sim.check)}")
    lines += [f"  needs: {need}" for need in texts.prerequisites]
    lines.append(f"  confidence: {words.confidence(preset.confidence)} "
                 f"(checked {preset.checked.isoformat()}, {age} ago)")
    lines += [f"  source [{source.kind}]: {source.title}, {source.date or 'undated'}"
              + (f" <{source.url}>" if source.url else "") for source in preset.sources]
    if entry.checked_long_ago:
        lines.append(f"  {words.checked_ago(preset.checked, entry.today)}")
    return lines


@click.command("export-sims", cls=_Command)
@click.option("--format", "form", type=click.Choice(["csv", "json"]), default="csv")
@with_appcontext
def export_sims_command(form: str) -> None:
    """Every SIM with its rule, deadline, status, cost per year and accounts (safe for spreadsheets)."""
    _load_or_exit(join_log=False)
    click.echo(_service().export_sims(form), nl=False)


def _remind_once(dry_run: bool, name: str, echo: bool = True) -> int:
    """One pass (Service.remind); with `echo`, prints each outcome (as it went, or with its message for
    a dry run), described with the config the pass used. How many outcomes."""
    done = _service().remind(current_app.secret_key, name, dry_run=dry_run)
    for piloted in done.piloted if echo else ():
        click.echo(f"autopilot {piloted.state}: {piloted.sim_id} (deadline {piloted.deadline.isoformat()}) "
                   f"through {piloted.gateway}" + (f": {piloted.detail}" if piloted.detail else ""))
    for index, outcome in enumerate(done.outcomes if echo else ()):
        plan = outcome.planned
        click.echo(f"{outcome.state}: {plan.occasion.name} of {plan.deadline.sim.id} (deadline "
                   f"{plan.deadline.due.isoformat()}) to {plan.channel}"
                   + (f": {outcome.error}" if outcome.error else ""))
        if done.messages:
            title, body = done.messages[index]
            click.echo(f"  {title}\n" + "\n".join(f"  | {line}" for line in body.splitlines()))
    return len(done)


@click.command("remind", cls=_Command)
@click.option("--dry-run", is_flag=True, help="Print what would be sent now; send and record nothing.")
@click.option("--loop", is_flag=True, help="Run a pass every minute until stopped (a Procfile worker).")
@with_appcontext
def remind_command(dry_run: bool, loop: bool) -> None:
    """Send the push reminders due now ([[notify]]) and the autopilot's texts, each once,
    however many runners there are.

    With --loop it starts even while the database is down, and tries again every minute.
    """
    config = _load_or_exit(join_log=False)  # each pass reads the log: with --loop it may be starting
    if not config.notifies and not config.gateways:
        click.echo(f"{config.source}: no [[notify]] channel nor [[gateway]]: nothing to send")
        if not loop:
            return
    name = runner.runner_name()
    if not loop:
        if not _remind_once(dry_run, name):
            click.echo("nothing due now")
        return
    _remind_every_minute(dry_run, name)


def _remind_every_minute(dry_run: bool, name: str) -> None:
    """`remind --loop`: a pass at the start of every minute until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"reminding every minute ({name}); stop with Ctrl-C or SIGTERM")
    while not stop.is_set():
        try:
            _remind_once(dry_run, name, echo=dry_run)  # what a loop sends is in its log
        except LogUnavailable as error:  # the database is down: try again next minute
            logging.getLogger("feed").warning("%s", error)
        except Exception:  # a bug in one pass must not stop the reminders for good
            logging.getLogger("feed").exception("the reminder pass failed; trying again next minute")
        stop.wait(60 - time.time() % 60)
    click.echo("stopped")


@click.command("autopilot-test", cls=_Command)
@click.argument("sim_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Send without asking (the text costs what the carrier charges).")
@with_appcontext
def autopilot_test_command(sim_id: str, yes: bool) -> None:
    """Send SIM ID's keep-alive text now through its gateway, to test it; records no renewal."""
    try:
        trial = sending.trial_text(_load_or_exit(), sim_id)
    except sending.NotFound as error:
        _fail([str(error)])
    cost = trial.cost
    price = Wording().money(cost.amount, cost.currency) if cost else "what your carrier charges for a text"
    if not yes and not click.confirm(f"Send {trial.pilot.text!r} to {trial.shown_to} from {trial.sim.label} "
                                     f"through {trial.shown_gateway} now? It costs {price}.", default=False):
        raise SystemExit(1)
    try:
        said = sending.send_trial_text(trial)
    except sending.NotSent as error:
        _fail([f"{sim_id}: not sent: {error}"])
    click.echo(f"{sim_id}: handed to {trial.shown_gateway} ({said}); no renewal recorded "
               f"(a test: record one with `renew {sim_id} --kind sms` once your carrier counted it)")


@click.command("notify-test", cls=_Command)
@click.argument("notify_id", metavar="ID")
@with_appcontext
def notify_test_command(notify_id: str) -> None:
    """Send a test message to every URL of the [[notify]] channel ID."""
    try:
        tried = sending.try_channel(_load_or_exit(), notify_id)
    except sending.NotFound as error:
        _fail([str(error)])
    for one in tried:
        failed = "UNCONFIRMED" if one.unconfirmed else "FAILED"
        said = "sent" if one.error is None else f"{failed}: {one.error}"
        click.echo(f"{notify_id}: {one.shown}: {said}")
    if any(one.error is not None for one in tried):
        raise SystemExit(1)


# Why `token --show` prints no token, by where the admin token in force comes from.
NOT_SHOWN = {
    Source.ENVIRONMENT: "the admin token is the one set in SIMFEED_ADMIN_TOKEN",
    Source.REFUSED: "SIMFEED_ADMIN_TOKEN is refused (`simfeed check` says why): no token opens the page",
    Source.OFF: 'signing in is switched off by admin_token = "" in [server] of {config}',
    Source.CONFIG: "the admin token is the one set in [server] admin_token of {config}",
    Source.NONE: "no admin token is kept in the data folder",
}


@click.command("token", cls=_Command)
@click.option("--show", is_flag=True, help="Print the admin token this service made and keeps, to sign in.")
def token_command(show: bool) -> None:
    """Print a fresh random token for [calendar] token, a [[feed]] token or the admin token.

    With --show, the admin token kept in the data folder (made on the first start when none
    is configured). A token configured in SIMFEED_ADMIN_TOKEN or [server] admin_token wins.
    """
    if not show:
        click.echo(tokens.fresh())
        return
    settings = current_app.config
    found = _service().admin_token(settings.get("SIMFEED_ADMIN_TOKEN"),
                                   bool(settings.get("SIMFEED_ADMIN_TOKEN_REFUSED")),
                                   settings.get("SIMFEED_KEPT_TOKEN"))
    if found.source is not Source.KEPT:
        raise click.ClickException(NOT_SHOWN[found.source].format(config=settings["SIMFEED_CONFIG"]))
    click.echo(found.value)


def init_app(app: Flask) -> None:
    for command in (check_command, export_command, renew_command, renewals_command, unrenew_command,
                    presets_command, export_sims_command, token_command, remind_command,
                    notify_test_command, autopilot_test_command, db_group, cli_backup.backup_command,
                    cli_backup.restore_command):
        app.cli.add_command(command)


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """The renewal log's database (SIMFEED_DATABASE or DATABASE_URL)."""


@db_group.command("upgrade", cls=_Command)
def db_upgrade_command() -> None:
    """Bring the database to the latest schema (also done at every start-up)."""
    click.echo(f"{_service().upgrade()} is at the latest schema")


@db_group.command("copy", cls=_Command)
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
def db_copy_command(source: str, target: str) -> None:
    """Copy the log from one database to an empty one: SQLite paths or database URLs."""
    try:
        copied = databases.copy(source, target)
    except CopyRefused as error:
        _fail([str(error)])
    click.echo(f"copied {copied.source} to {copied.target}: "
               + ", ".join(f"{table} {count}" for table, count in copied.counts.items()))
