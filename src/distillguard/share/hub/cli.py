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
    from distillguard.share.hub.tls import ServerTLS


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
@click.option("--tls-cert", "tls_cert", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Serve HTTPS with this certificate (PEM, with its chain).")
@click.option("--tls-key", "tls_key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The certificate's private key (PEM), if not in --tls-cert.")
@click.option("--client-ca", "client_ca", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="With --tls-cert: ask clients for a certificate signed by this CA (PEM). Members registered "
                   "with a certificate (add-member --cert) must then present it as well as their key.")
@click.option("--client-cert", "client_cert", default="optional", show_default=True,
              type=click.Choice(["optional", "required"]),
              help="With --client-ca: optional lets key-only members connect without a certificate; required "
                   "refuses any connection without one in the TLS handshake.")
@click.pass_context
def hub(ctx: click.Context, config: Path, db: str | None, host: str, port: int, tls_cert: Path | None,
        tls_key: Path | None, client_ca: Path | None, client_cert: str) -> None:
    """Serve the threat-intelligence hub: a TAXII 2.1 server where providers share STIX 2.1 intelligence
    on adversarial distillation, with per-member API keys and rights, TLP 2.0 enforced on every read,
    anonymous submission, an append-only audit log and rate limits. Runs until interrupted.

    Over HTTPS with --tls-cert; with --client-ca too, members registered with a client certificate must
    present it as well as their API key (mTLS; see docs/hub.md).

    Operator commands (put the options above before them): init writes a starting config,
    add-member adds a member and prints its key once, rotate-key replaces a key, set-cert registers a
    member's client certificates, audit prints the log.
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
    tls = _server_tls(tls_cert, tls_key, client_ca, client_cert)
    pinned = sorted(m.name for m in loaded.members.values() if m.client_certs)
    if pinned and (tls is None or tls.client_ca is None):
        click.echo(f"warning: {', '.join(pinned)} must present a client certificate, but the hub asks for none "
                   "(give --tls-cert and --client-ca): they cannot connect", err=True)
    try:
        app, store = create_app(loaded, ctx.obj.database())
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    shown = make_url(store.url).render_as_string(hide_password=True)
    scheme = "https" if tls is not None else "http"
    mtls = f"; client certificates {tls.client_cert} (CA {tls.client_ca})" if tls and tls.client_ca else ""
    click.echo(f"distillguard hub on {scheme}://{host}:{port}/taxii2/ ({len(loaded.members)} members, "
               f"{len(loaded.collections)} collections; store {shown}{mtls})", err=True)
    try:
        uvicorn.run(app.app, host=host, port=port, interface="asgi3", log_level="warning", access_log=False,
                    server_header=False, timeout_graceful_shutdown=10,
                    **(tls.uvicorn_options() if tls is not None else {}))
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


def _server_tls(cert: Path | None, key: Path | None, client_ca: Path | None, client_cert: str) -> ServerTLS | None:
    """The serve command's TLS options, checked (the files load) before the server starts."""
    from distillguard.share.hub.tls import ServerTLS

    if cert is None:
        if key is not None or client_ca is not None:
            raise click.UsageError("--tls-key and --client-ca need --tls-cert (the hub's own certificate)")
        return None
    tls = ServerTLS(certfile=cert, keyfile=key, client_ca=client_ca, client_cert=client_cert)  # type: ignore[arg-type]
    try:
        tls.check()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    return tls


def _fingerprints(cert_files: tuple[Path, ...], hexes: tuple[str, ...]) -> frozenset[str]:
    """Fingerprints from certificate files (--cert) and hex digests (--cert-sha256); usage errors name the bad one."""
    from distillguard.share.hub.certs import normalise_fingerprint, read_cert_fingerprint

    found = set()
    for path in cert_files:
        try:
            found.add(read_cert_fingerprint(path))
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint="--cert") from exc
    for value in hexes:
        try:
            found.add(normalise_fingerprint(value))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--cert-sha256") from exc
    return frozenset(found)


_CERT_HELP = ("A client certificate the member must present (PEM or DER file; repeatable). Its SHA-256 "
              "fingerprint is stored; the member then needs it and its API key (mTLS).")
_CERT_SHA256_HELP = "A client certificate's SHA-256 fingerprint (64 hex digits, colons allowed; repeatable)."


@hub.command("add-member")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A sharing group the member belongs to (repeatable). "
                                                       "A group that does not exist yet is declared.")
@click.option("--read", "read", multiple=True, help="A collection (alias or id) it may read, or '*' (repeatable).")
@click.option("--write", "write", multiple=True, help="A collection (alias or id) it may write, or '*' (repeatable).")
@click.option("--anonymous", is_flag=True, help="Re-attribute every submission to the member's pseudonym.")
@click.option("--identity", metavar="IDENTITY_ID",
              help="The member's own STIX identity id, replaced by its pseudonym in anonymous submissions.")
@click.option("--cert", "cert_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help=_CERT_HELP)
@click.option("--cert-sha256", "cert_hexes", multiple=True, metavar="HEX", help=_CERT_SHA256_HELP)
@click.pass_obj
def add_member(options: _HubOptions, name: str, groups: tuple[str, ...], read: tuple[str, ...],
               write: tuple[str, ...], anonymous: bool, identity: str | None, cert_files: tuple[Path, ...],
               cert_hexes: tuple[str, ...]) -> None:
    """Add member NAME to the config with a new API key, and print the key (once: the config keeps only
    its salted hash). With --cert or --cert-sha256 the member must also present that client certificate.
    Restart the hub to load it."""
    from dataclasses import replace

    from distillguard.share.hub.auth import new_key
    from distillguard.share.hub.config import MemberConfig

    config = options.load()
    if name in config.members:
        raise click.UsageError(f"member {name!r} exists; use rotate-key to give it a new key")
    fingerprints = _fingerprints(cert_files, cert_hexes)
    key, record = new_key()
    declared = dict(config.groups)
    for g in groups:
        declared.setdefault(g, "")
    try:
        updated = replace(config, groups=declared).with_member(
            MemberConfig(name=name, key=record, groups=frozenset(groups), anonymous=anonymous, identity=identity,
                         client_certs=fingerprints),
            read=list(read), write=list(write))
    except ConfigError as exc:
        raise click.UsageError(str(exc).replace("<config>", str(options.config))) from exc
    updated.save(options.config)
    if fingerprints:
        click.echo(f"{name} must present its client certificate ({', '.join(sorted(fingerprints))}) as well as "
                   "its key", err=True)
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


@hub.command("set-cert")
@click.argument("name")
@click.option("--cert", "cert_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help=_CERT_HELP)
@click.option("--cert-sha256", "cert_hexes", multiple=True, metavar="HEX", help=_CERT_SHA256_HELP)
@click.option("--clear", is_flag=True, help="Remove the member's certificates: its API key alone will do.")
@click.pass_obj
def set_cert(options: _HubOptions, name: str, cert_files: tuple[Path, ...], cert_hexes: tuple[str, ...],
             clear: bool) -> None:
    """Replace the client certificates member NAME must present (give both old and new during a rotation),
    or --clear them. Restart the hub to load the change."""
    config = options.load()
    if name not in config.members:
        raise click.UsageError(f"no member {name!r} in {options.config}")
    fingerprints = _fingerprints(cert_files, cert_hexes)
    if bool(fingerprints) == clear:
        raise click.UsageError("give --cert / --cert-sha256, or --clear")
    config.with_client_certs(name, fingerprints).save(options.config)
    shown = ", ".join(sorted(fingerprints)) or "none: its API key alone"
    click.echo(f"{name}'s client certificates in {options.config}: {shown}")


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
