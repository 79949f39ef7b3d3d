"""The hub's TAXII 2.1 endpoints (Starlette).

    GET    /taxii2/                                                  discovery
    GET    /{api-root}/                                              API root information
    GET    /{api-root}/collections/                                  the collections the member may use
    GET    /{api-root}/collections/{id}/                             one collection
    GET    /{api-root}/collections/{id}/objects/                     objects (added_after, limit, next, match[...])
    POST   /{api-root}/collections/{id}/objects/                     add objects (an envelope) -> status
    GET    /{api-root}/collections/{id}/objects/{object-id}/         one object's versions (match[version] ...)
    DELETE /{api-root}/collections/{id}/objects/{object-id}/         delete the member's own object
    GET    /{api-root}/collections/{id}/objects/{object-id}/versions/
    GET    /{api-root}/collections/{id}/manifest/
    GET    /{api-root}/status/{status-id}/

Every request: authenticate (401: the API key, and one of the member's registered client certificates when it
has any, tls.py), rate limit (429 with Retry-After), check the Accept header (406) and, for a POST, the
Content-Type (415) and the size (413); then the endpoint; then one audit row. A path without its
trailing slash is served as if it had it. Errors are TAXII error message resources. Collections a member has
no right on, and objects it may not see, do not exist for it (404), so nothing reveals them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import multiprocessing
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from distillguard.share.hub import auth, certs
from distillguard.share.hub.audit import AuditEntry
from distillguard.share.hub.config import CollectionConfig, HubConfig, MemberConfig
from distillguard.share.hub.ingest import (
    ANONYMOUS_HEADER,
    SHARING_GROUPS_HEADER,
    PreparedObject,
    Submission,
    WithheldObject,
    prepare,
    pseudonym_for,
    pseudonym_identity,
)
from distillguard.share.hub.limits import RateLimiter, retry_after_header
from distillguard.share.hub.store import HubStore, ObjectQuery, Outcome, Page, Row, Viewer
from distillguard.share.hub.timestamps import format_us, now_us, parse_us
from distillguard.share.hub.validate import EnvelopeError, InvalidObject, ValidObject, read_envelope, validate_object

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
_NEXT_PREFIX = "dg1:"
log = logging.getLogger(__name__)
_PARALLEL_FROM = 200  # objects in an envelope from which validation is spread over processes


class HubHTTPError(Exception):
    """An error answered as a TAXII error message resource."""

    def __init__(self, status: int, title: str, description: str = "", headers: dict[str, str] | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {title}: {description}")
        self.status = status
        self.title = title
        self.description = description
        self.headers = headers or {}
        self.details = details


def error_response(exc: HubHTTPError) -> Response:
    body: dict[str, Any] = {"title": exc.title, "http_status": str(exc.status)}
    if exc.description:
        body["description"] = exc.description
    if exc.details:
        body["details"] = exc.details
    return Response(json.dumps(body), status_code=exc.status, media_type=MEDIA_TAXII, headers=exc.headers)


def taxii_response(body: dict[str, Any] | str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body)
    return Response(text, status_code=status, media_type=MEDIA_TAXII, headers=headers)


@dataclass
class Call:
    """One authenticated request as the endpoints see it."""

    request: Request
    member: MemberConfig
    audit: AuditEntry
    audited: bool = False  # True when the endpoint wrote its audit row itself (in its write transaction)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.member.name, self.member.groups)


Endpoint = Callable[[Call], Awaitable[Response]]


class Hub:
    """The hub as an ASGI application: ``Hub(config, store).app`` (the store's schema must exist:
    ``store.create(config.collections)``)."""

    def __init__(self, config: HubConfig, store: HubStore, limiter: RateLimiter | None = None) -> None:
        self.config = config
        self.store = store
        self.limiter = limiter or RateLimiter()
        self._by_key_id = {m.key.key_id: m for m in config.members.values() if m.key is not None}
        self._roots = {root.name: root for root in config.api_roots}
        self._secret = store.pseudonym_secret()
        self._pool: ProcessPoolExecutor | None = None
        routes = [
            Route("/taxii2/", self._wrap(self.discovery), methods=["GET"]),
            Route("/{root}/", self._wrap(self.api_root), methods=["GET"]),
            Route("/{root}/collections/", self._wrap(self.collections), methods=["GET"]),
            Route("/{root}/collections/{cid}/", self._wrap(self.collection), methods=["GET"]),
            Route("/{root}/collections/{cid}/objects/", self._wrap(self.objects), methods=["GET", "POST"]),
            Route("/{root}/collections/{cid}/objects/{oid}/", self._wrap(self.object), methods=["GET", "DELETE"]),
            Route("/{root}/collections/{cid}/objects/{oid}/versions/", self._wrap(self.versions), methods=["GET"]),
            Route("/{root}/collections/{cid}/manifest/", self._wrap(self.manifest), methods=["GET"]),
            Route("/{root}/status/{sid}/", self._wrap(self.status), methods=["GET"]),
        ]
        self._starlette = Starlette(routes=routes, exception_handlers={404: self._not_found, 405: self._not_allowed})

    @property
    def app(self) -> Hub:
        """The ASGI application (the hub itself)."""
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point: serves every path as if it ended in '/'."""
        if scope["type"] == "http" and not scope["path"].endswith("/"):
            scope = dict(scope, path=scope["path"] + "/")
            if "raw_path" in scope and scope["raw_path"] is not None:
                scope["raw_path"] = scope["raw_path"] + b"/"
        await self._starlette(scope, receive, send)

    # -- the common path ----------------------------------------------------------------------------------

    def _wrap(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            audit = AuditEntry(member=None, method=request.method, path=path, status=0)
            call: Call | None = None
            try:
                member = self._authenticate(request, audit)
                audit.member = member.name
                call = Call(request=request, member=member, audit=audit)
                limit = member.rate_limit or self.config.rate_limit
                wait = self.limiter.take(member.name, limit)
                if wait > 0:
                    raise HubHTTPError(429, "Too many requests",
                                       f"rate limit {limit.requests_per_second:g}/s (burst {limit.burst}) reached",
                                       headers={"Retry-After": retry_after_header(wait)})
                _check_accept(request.headers.get("accept"))
                response = await endpoint(call)
            except HubHTTPError as exc:
                response = error_response(exc)
                audit.detail["error"] = exc.title
            except Exception as exc:  # a bug or the database: answer 500, still audited
                log.exception("hub: %s %s failed", request.method, path)
                response = error_response(HubHTTPError(500, "Internal error", type(exc).__name__))
                audit.detail["error"] = f"internal: {type(exc).__name__}"
                if call is not None:
                    call.audited = False
            audit.status = response.status_code
            if call is None or not call.audited:
                await run_in_threadpool(self.store.append_audit, audit)
            return response

        return handle

    def _authenticate(self, request: Request, audit: AuditEntry) -> MemberConfig:
        unauthorized = HubHTTPError(401, "Unauthorized",
                                    "give your member API key: HTTP Basic (member name and key) or Bearer",
                                    headers={"WWW-Authenticate": 'Basic realm="distillguard hub"'})
        creds = auth.credentials_from_header(request.headers.get("authorization"))
        if creds is None:
            raise unauthorized
        if creds.username is not None:
            audit.detail["claimed_member"] = creds.username[:200]  # untrusted until the key checks out
        key_id = auth.key_id_of(creds.key)
        member = self._by_key_id.get(key_id) if key_id else None
        if member is None or member.key is None or not auth.verify_key(creds.key, member.key):
            raise unauthorized
        if creds.username is not None and creds.username != member.name:
            raise unauthorized
        audit.detail.pop("claimed_member", None)
        if member.client_certs:  # mTLS: the key and one of the member's certificates, both (tls.py)
            presented = certs.client_cert_fingerprint(request.scope)
            if presented not in member.client_certs:
                audit.detail["claimed_member"] = member.name
                audit.detail["client_cert"] = "none" if presented is None else f"not registered: {presented}"
                raise HubHTTPError(401, "Unauthorized", "this member must connect over TLS with its registered "
                                   "client certificate as well as its API key",
                                   headers={"WWW-Authenticate": 'Basic realm="distillguard hub"'})
        return member

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return await self._wrap(self._raise_not_found)(request)

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        return error_response(HubHTTPError(405, "Method not allowed", f"{request.method} is not served here"))

    async def _raise_not_found(self, call: Call) -> Response:
        raise HubHTTPError(404, "Not found", "no such TAXII resource")

    def _collection(self, call: Call) -> CollectionConfig:
        """The collection in the path, if the member has a right on it (else 404: it does not exist for them)."""
        root = self._roots.get(call.request.path_params["root"])
        cid = call.request.path_params["cid"]
        if root is not None:
            for c in root.collections:
                if c.id == cid and (cid in call.member.read or cid in call.member.write):
                    call.audit.collection = cid
                    return c
        raise HubHTTPError(404, "Collection not found", f"no collection {cid!r} here")

    def _readable(self, call: Call) -> CollectionConfig:
        collection = self._collection(call)
        if collection.id not in call.member.read:
            raise HubHTTPError(403, "Forbidden", "you have no read right on this collection")
        return collection

    # -- discovery, API roots, collections --------------------------------------------------------------------

    async def discovery(self, call: Call) -> Response:
        base = str(call.request.base_url)
        roots = [f"{base}{root.name}/" for root in self.config.api_roots]
        body: dict[str, Any] = {"title": self.config.title, "api_roots": roots}
        if self.config.description:
            body["description"] = self.config.description
        if self.config.contact:
            body["contact"] = self.config.contact
        if roots:
            body["default"] = roots[0]
        return taxii_response(body)

    async def api_root(self, call: Call) -> Response:
        root = self._roots.get(call.request.path_params["root"])
        if root is None:
            raise HubHTTPError(404, "API root not found", "no such API root")
        body: dict[str, Any] = {"title": root.title, "versions": [MEDIA_TAXII],
                                "max_content_length": self.config.max_content_length}
        if root.description:
            body["description"] = root.description
        return taxii_response(body)

    def _collection_resource(self, c: CollectionConfig, member: MemberConfig) -> dict[str, Any]:
        body: dict[str, Any] = {"id": c.id, "title": c.title, "alias": c.alias, "can_read": c.id in member.read,
                                "can_write": c.id in member.write, "media_types": [MEDIA_STIX]}
        if c.description:
            body["description"] = c.description
        return body

    async def collections(self, call: Call) -> Response:
        root = self._roots.get(call.request.path_params["root"])
        if root is None:
            raise HubHTTPError(404, "API root not found", "no such API root")
        shown = [self._collection_resource(c, call.member) for c in root.collections
                 if c.id in call.member.read or c.id in call.member.write]
        call.audit.detail["collections"] = [c["id"] for c in shown]
        return taxii_response({"collections": shown} if shown else {})

    async def collection(self, call: Call) -> Response:
        return taxii_response(self._collection_resource(self._collection(call), call.member))

    # -- objects ----------------------------------------------------------------------------------------------

    async def objects(self, call: Call) -> Response:
        if call.request.method == "POST":
            return await self._add_objects(call)
        collection = self._readable(call)
        q = self._query(call, collection.id, filters=("id", "type", "version", "spec_version"))
        page = await run_in_threadpool(self.store.query, q, call.viewer)
        return self._envelope(call, page)

    async def object(self, call: Call) -> Response:
        collection = self._readable(call)
        oid = call.request.path_params["oid"]
        if call.request.method == "DELETE":
            return await self._delete(call, collection, oid)
        if not await run_in_threadpool(self.store.visible_exists, collection.id, oid, call.viewer):
            raise HubHTTPError(404, "Object not found", f"no object {oid!r} in this collection")
        q = self._query(call, collection.id, filters=("version", "spec_version"), ids=(oid,))
        page = await run_in_threadpool(self.store.query, q, call.viewer)
        return self._envelope(call, page)

    async def versions(self, call: Call) -> Response:
        collection = self._readable(call)
        oid = call.request.path_params["oid"]
        if not await run_in_threadpool(self.store.visible_exists, collection.id, oid, call.viewer):
            raise HubHTTPError(404, "Object not found", f"no object {oid!r} in this collection")
        q = self._query(call, collection.id, filters=("spec_version",), ids=(oid,), versions=("all",))
        page = await run_in_threadpool(self.store.query, q, call.viewer, False)
        call.audit.object_ids = [oid] if page.rows else []
        body: dict[str, Any] = {"more": page.more}
        if page.rows:
            body["versions"] = [r.version for r in page.rows]
        if page.more:
            body["next"] = _next_token(page.rows[-1].date_added)
        return taxii_response(body, headers=_date_headers(page.rows))

    async def manifest(self, call: Call) -> Response:
        collection = self._readable(call)
        q = self._query(call, collection.id, filters=("id", "type", "version", "spec_version"))
        page = await run_in_threadpool(self.store.query, q, call.viewer, False)
        call.audit.object_ids = [r.object_id for r in page.rows]
        body: dict[str, Any] = {"more": page.more}
        if page.rows:
            body["objects"] = [{"id": r.object_id, "date_added": format_us(r.date_added), "version": r.version,
                                "media_type": MEDIA_STIX} for r in page.rows]
        if page.more:
            body["next"] = _next_token(page.rows[-1].date_added)
        return taxii_response(body, headers=_date_headers(page.rows))

    def _envelope(self, call: Call, page: Page) -> Response:
        call.audit.object_ids = [r.object_id for r in page.rows]
        parts = [f'"more":{"true" if page.more else "false"}']
        if page.more:
            parts.append(f'"next":"{_next_token(page.rows[-1].date_added)}"')
        if page.rows:
            parts.append('"objects":[' + ",".join(r.body or "{}" for r in page.rows) + "]")
        return taxii_response("{" + ",".join(parts) + "}", headers=_date_headers(page.rows))

    def _query(self, call: Call, collection: str, filters: tuple[str, ...], ids: tuple[str, ...] | None = None,
               versions: tuple[str | int, ...] | None = None) -> ObjectQuery:
        """The TAXII filter parameters of the request (those the endpoint supports; others are ignored)."""
        params = call.request.query_params

        def values(name: str) -> tuple[str, ...] | None:
            found = [v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()]
            return tuple(found) if found else None

        after = None
        if "added_after" in params:
            try:
                after = parse_us(params["added_after"])
            except ValueError as exc:
                raise HubHTTPError(400, "Bad added_after", str(exc)) from None
        if "next" in params:
            position = _read_next(params["next"])
            after = position if after is None else max(after, position)
        limit = self.config.page_size
        if "limit" in params:
            try:
                limit = int(params["limit"])
            except ValueError:
                raise HubHTTPError(400, "Bad limit", f"limit must be a positive integer, got {params['limit']!r}") \
                    from None
            if limit <= 0:
                raise HubHTTPError(400, "Bad limit", f"limit must be a positive integer, got {limit}")
            limit = min(limit, self.config.page_size)
        if "id" in filters:
            ids = values("match[id]")
        chosen_versions: tuple[str | int, ...] = versions or ("last",)
        if "version" in filters and (raw := values("match[version]")) is not None:
            parsed: list[str | int] = []
            for v in raw:
                if v in ("last", "first", "all"):
                    parsed.append(v)
                else:
                    try:
                        parsed.append(parse_us(v))
                    except ValueError as exc:
                        raise HubHTTPError(400, "Bad match[version]",
                                           f"expected last, first, all or a timestamp: {exc}") from None
            chosen_versions = tuple(parsed)
        return ObjectQuery(collection=collection, ids=ids, types=values("match[type]") if "type" in filters else None,
                           versions=chosen_versions,
                           spec_versions=values("match[spec_version]") if "spec_version" in filters else None,
                           after=after, limit=limit)

    async def _delete(self, call: Call, collection: CollectionConfig, oid: str) -> Response:
        if collection.id not in call.member.write:
            raise HubHTTPError(403, "Forbidden", "deleting needs read and write rights on this collection")
        if not await run_in_threadpool(self.store.visible_exists, collection.id, oid, call.viewer):
            raise HubHTTPError(404, "Object not found", f"no object {oid!r} in this collection")
        if await run_in_threadpool(self.store.owner_of, collection.id, oid) != call.member.name:
            raise HubHTTPError(403, "Forbidden", "only the producer of an object can delete it")
        q = self._query(call, collection.id, filters=("version", "spec_version"), ids=(oid,), versions=("all",))
        call.audit.status = 200
        await run_in_threadpool(self.store.delete_object, collection.id, oid, call.member.name, q.versions,
                                q.spec_versions, call.audit)
        call.audited = True
        return Response(status_code=200, media_type=MEDIA_TAXII)

    # -- adding objects ---------------------------------------------------------------------------------------

    async def _add_objects(self, call: Call) -> Response:
        collection = self._collection(call)
        if collection.id not in call.member.write:
            raise HubHTTPError(403, "Forbidden", "you have no write right on this collection")
        _check_content_type(call.request.headers.get("content-type"))
        body = await self._read_body(call.request)
        try:
            objects = read_envelope(body)
        except EnvelopeError as exc:
            raise HubHTTPError(exc.status, exc.title, exc.description) from None
        submission = Submission(member=call.member, anonymous=call.member.anonymous or _truthy(
            call.request.headers.get(ANONYMOUS_HEADER)), header_groups=_header_groups(call.request),
                                default_tlp=self.config.default_tlp, pseudonym=pseudonym_for(self._secret,
                                                                                             call.member.name))
        checked = await self._check(objects, submission)
        failures = [c for c in checked if isinstance(c, InvalidObject)]
        prepared = [c for c in checked if isinstance(c, PreparedObject)]
        withheld = [c for c in checked if isinstance(c, WithheldObject)]
        status_id = str(uuid.uuid4())
        call.audit.detail.update(status_id=status_id, submitted=len(objects), anonymous=submission.anonymous)
        if objects and not prepared and not withheld:
            call.audit.object_ids = [f.id for f in failures if f.id]
            call.audit.detail["failures"] = len(failures)
            raise HubHTTPError(422, "No object could be added",
                               f"all {len(objects)} objects failed validation; see details.failures",
                               details={"failures": [_detail(f.id, f.version, f.message) for f in failures]})
        also = [pseudonym_identity(submission.pseudonym)] if submission.anonymous and prepared else []
        call.audit.status = 202
        outcomes = await run_in_threadpool(self.store.add_objects, collection.id, call.member.name, prepared,
                                           call.audit, also)
        call.audited = True
        results: list[tuple[int, bool, dict[str, Any]]] = []
        results += [(o.index, o.stored, _detail(o.id, o.version, o.message)) for o in outcomes]
        results += [(w.index, True, _detail(w.id, w.version, w.message)) for w in withheld]
        results += [(f.index, False, _detail(f.id, f.version, f.message)) for f in failures]
        results.sort(key=lambda r: r[0])
        successes = [d for _, ok, d in results if ok]
        failed = [d for _, ok, d in results if not ok]
        status = {"id": status_id, "status": "complete", "request_timestamp": format_us(now_us()),
                  "total_count": len(results), "success_count": len(successes), "successes": successes,
                  "failure_count": len(failed), "failures": failed, "pending_count": 0, "pendings": []}
        await run_in_threadpool(self.store.save_status, status_id, call.member.name, status)
        return taxii_response(status, status=202)

    async def _check(self, objects: list[Any],
                     submission: Submission) -> list[PreparedObject | WithheldObject | InvalidObject]:
        """Validate and prepare every object: in a thread, or for a large envelope split over the validation
        processes (config ``validation_processes``)."""
        processes = self.config.validation_processes
        if processes <= 1 or len(objects) < _PARALLEL_FROM:
            return await run_in_threadpool(_check_all, objects, submission)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))
        loop = asyncio.get_running_loop()
        size = -(-len(objects) // processes)
        parts = await asyncio.gather(*(loop.run_in_executor(self._pool, _check_all, objects[i:i + size], submission, i)
                                       for i in range(0, len(objects), size)))
        return [checked for part in parts for checked in part]

    def close(self) -> None:
        """Stop the validation processes, if any were started."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    async def _read_body(self, request: Request) -> bytes:
        limit = self.config.max_content_length
        declared = request.headers.get("content-length")
        too_large = HubHTTPError(413, "Request too large", f"the body exceeds max_content_length ({limit} bytes)")
        if declared is not None:
            try:
                if int(declared) > limit:
                    raise too_large
            except ValueError:
                raise HubHTTPError(400, "Bad Content-Length", repr(declared)) from None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    async def status(self, call: Call) -> Response:
        root = self._roots.get(call.request.path_params["root"])
        sid = call.request.path_params["sid"]
        body = await run_in_threadpool(self.store.get_status, sid, call.member.name) if root else None
        if body is None:
            raise HubHTTPError(404, "Status not found", f"no status {sid!r} of yours")
        call.audit.detail["status_id"] = sid
        return taxii_response(body)


def _check_all(objects: list[Any], submission: Submission,
               offset: int = 0) -> list[PreparedObject | WithheldObject | InvalidObject]:
    out: list[PreparedObject | WithheldObject | InvalidObject] = []
    for index, obj in enumerate(objects, start=offset):
        checked = validate_object(index, obj)
        out.append(prepare(checked, submission) if isinstance(checked, ValidObject) else checked)
    return out


def _detail(object_id: str, version: str, message: str | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"id": object_id, "version": version}
    if message:
        detail["message"] = message
    return detail


def _media(value: str) -> tuple[str, dict[str, str]]:
    kind, *params = (p.strip() for p in value.split(";"))
    parsed = {}
    for p in params:
        name, _, v = p.partition("=")
        parsed[name.strip().lower()] = v.strip().strip('"')
    return kind.lower(), parsed


def _check_accept(accept: str | None) -> None:
    """406 unless the Accept header admits application/taxii+json;version=2.1."""
    if not accept:
        return
    for item in accept.split(","):
        kind, params = _media(item)
        if kind in ("*/*", "application/*"):
            return
        if kind == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return
    raise HubHTTPError(406, "Not acceptable", f"this hub answers {MEDIA_TAXII}; the Accept header was {accept!r}")


def _check_content_type(content_type: str | None) -> None:
    """415 unless the body is a TAXII 2.1 envelope (or a STIX 2.1 bundle)."""
    if content_type:
        kind, params = _media(content_type)
        if kind in ("application/taxii+json", "application/stix+json") and params.get("version", "2.1") == "2.1":
            return
    raise HubHTTPError(415, "Unsupported media type",
                       f"send {MEDIA_TAXII} (an envelope) or {MEDIA_STIX} (a bundle); got {content_type!r}")


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def _header_groups(request: Request) -> tuple[str, ...] | None:
    value = request.headers.get(SHARING_GROUPS_HEADER)
    if value is None:
        return None
    return tuple(g.strip() for g in value.split(",") if g.strip())


def _date_headers(rows: list[Row]) -> dict[str, str]:
    if not rows:
        return {}
    return {"X-TAXII-Date-Added-First": format_us(rows[0].date_added),
            "X-TAXII-Date-Added-Last": format_us(rows[-1].date_added)}


def _next_token(date_added: int) -> str:
    return base64.urlsafe_b64encode(f"{_NEXT_PREFIX}{date_added}".encode()).decode().rstrip("=")


def _read_next(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith(_NEXT_PREFIX):
            return int(text[len(_NEXT_PREFIX):])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise HubHTTPError(400, "Bad next", "next must be a value this hub returned in an envelope's next property")


def create_app(config: HubConfig, db: str) -> tuple[Hub, HubStore]:
    """Open (and create if needed) the store at ``db`` and build the hub on it."""
    store = HubStore(db)
    store.create(config.collections)
    return Hub(config, store), store


__all__ = ["MEDIA_STIX", "MEDIA_TAXII", "Hub", "HubHTTPError", "Outcome", "create_app"]
