"""``distillguard hub``: serve the hub, and the operator's commands (init, add-member, rotate-key, audit).

Heavy imports (Starlette, SQLAlchemy, uvicorn) happen inside the commands, so the CLI starts fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from distillguard.errors import ConfigError

if TYPE_CHECKING:
    from distillguard.share.hub.config import HubConfig


@dataclass(frozen=True)
class _HubOptions:
    config: Path
    db: str | None

    def database(self) -> str:
        return self.db or str(self.config.resolve().with_name("hub.db"))

    def load(self) -> HubConfig:
        from distillguard.share.hub.config import HubConfig

        try:
            return HubConfig.from_yaml(self.config)
        except ConfigError as exc:
            raise click.UsageError(f"{exc}\nRead more: docs/hub.md (configuration)") from exc


@click.group(invoke_without_command=True)
@click.option("--config", "config", default=Path("hub.yaml"), show_default=True, envvar="DISTILLGUARD_HUB_CONFIG",
              type=click.Path(path_type=Path, dir_okay=False),
              help="The hub's YAML config: API roots, collections, groups, members (env DISTILLGUARD_HUB_CONFIG).")
@click.option("--db", "db", metavar="PATH|URL", envvar="DISTILLGUARD_HUB_DB",
              help="SQLite file, or a postgresql:// URL for production (env DISTILLGUARD_HUB_DB). "
                   "Default: hub.db beside the config.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this address is bound; give 0.0.0.0 to listen on every interface.")
@click.option("--port", default=9500, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.pass_context
def hub(ctx: click.Context, config: Path, db: str | None, host: str, port: int) -> None:
    """Serve the threat-intelligence hub: a TAXII 2.1 server where providers share STIX 2.1 intelligence
    on adversarial distillation, with per-member API keys and rights, TLP 2.0 enforced on every read,
    anonymous submission, an append-only audit log and rate limits. Runs until interrupted.

    Operator commands (put the options above before them): init writes a starting config,
    add-member adds a member and prints its key once, rotate-key replaces a key, audit prints the log.
    """
    ctx.obj = _HubOptions(config=config, db=db)
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn
    from sqlalchemy.engine import make_url

    from distillguard.share.hub.app import create_app

    if not config.exists():
        raise click.UsageError(f"no hub config at {config}: write one with "
                               f"'distillguard hub --config {config} init', then add members")
    loaded = ctx.obj.load()
    try:
        app, store = create_app(loaded, ctx.obj.database())
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    shown = make_url(store.url).render_as_string(hide_password=True)
    click.echo(f"distillguard hub on http://{host}:{port}/taxii2/ ({len(loaded.members)} members, "
               f"{len(loaded.collections)} collections; store {shown})", err=True)
    try:
        uvicorn.run(app.app, host=host, port=port, interface="asgi3", log_level="warning", access_log=False,
                    server_header=False, timeout_graceful_shutdown=10)
    finally:
        app.close()
        store.close()


@hub.command()
@click.option("--title", default="distillguard threat-intelligence hub", show_default=True, help="The hub's title.")
@click.option("--force", is_flag=True, help="Overwrite an existing config.")
@click.pass_obj
def init(options: _HubOptions, title: str, force: bool) -> None:
    """Write a starting config: API root 'intel' with one collection 'indicators' (a new UUID) and one
    sharing group 'consortium'. Add members with add-member."""
    from distillguard.share.hub.config import starter_config

    if options.config.exists() and not force:
        raise click.UsageError(f"{options.config} exists; give --force to overwrite it")
    config = starter_config(title)
    config.save(options.config)
    collection = next(iter(config.collections.values()))
    click.echo(f"wrote {options.config}: API root /intel/, collection {collection.alias} ({collection.id}), "
               "group consortium")


@hub.command("add-member")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A sharing group the member belongs to (repeatable). "
                                                       "A group that does not exist yet is declared.")
@click.option("--read", "read", multiple=True, help="A collection (alias or id) it may read, or '*' (repeatable).")
@click.option("--write", "write", multiple=True, help="A collection (alias or id) it may write, or '*' (repeatable).")
@click.option("--anonymous", is_flag=True, help="Re-attribute every submission to the member's pseudonym.")
@click.option("--identity", metavar="IDENTITY_ID",
              help="The member's own STIX identity id, replaced by its pseudonym in anonymous submissions.")
@click.pass_obj
def add_member(options: _HubOptions, name: str, groups: tuple[str, ...], read: tuple[str, ...],
               write: tuple[str, ...], anonymous: bool, identity: str | None) -> None:
    """Add member NAME to the config with a new API key, and print the key (once: the config keeps only
    its salted hash). Restart the hub to load it."""
    from dataclasses import replace

    from distillguard.share.hub.auth import new_key
    from distillguard.share.hub.config import MemberConfig

    config = options.load()
    if name in config.members:
        raise click.UsageError(f"member {name!r} exists; use rotate-key to give it a new key")
    key, record = new_key()
    declared = dict(config.groups)
    for g in groups:
        declared.setdefault(g, "")
    try:
        updated = replace(config, groups=declared).with_member(
            MemberConfig(name=name, key=record, groups=frozenset(groups), anonymous=anonymous, identity=identity),
            read=list(read), write=list(write))
    except ConfigError as exc:
        raise click.UsageError(str(exc).replace("<config>", str(options.config))) from exc
    updated.save(options.config)
    click.echo(f"added {name} to {options.config}; its API key (shown once, keep it secret):", err=True)
    click.echo(key)


@hub.command("rotate-key")
@click.argument("name")
@click.pass_obj
def rotate_key(options: _HubOptions, name: str) -> None:
    """Give member NAME a new API key and print it (once). The old key stops working when the hub restarts."""
    from distillguard.share.hub.auth import new_key

    config = options.load()
    if name not in config.members:
        raise click.UsageError(f"no member {name!r} in {options.config}")
    key, record = new_key()
    config.with_key(name, record).save(options.config)
    click.echo(f"new key for {name} written to {options.config}; the key (shown once):", err=True)
    click.echo(key)


@hub.command()
@click.option("--member", help="Only this member's requests.")
@click.option("--since", metavar="TIMESTAMP", help="Only requests at or after this RFC 3339 time.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@click.pass_obj
def audit(options: _HubOptions, member: str | None, since: str | None, limit: int | None) -> None:
    """Print the audit log as JSON lines (time, member, method, path, collection, status, object ids,
    detail). For the operator only: the hub serves none of it to members."""
    from distillguard.share.hub.audit import read_audit
    from distillguard.share.hub.store import HubStore
    from distillguard.share.hub.timestamps import parse_us

    try:
        since_us = parse_us(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    store = HubStore(options.database())
    try:
        for row in read_audit(store, member=member, since=since_us, limit=limit):
            click.echo(json.dumps(row))
    finally:
        store.close()
