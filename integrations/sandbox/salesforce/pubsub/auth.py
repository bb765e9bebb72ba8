"""Who calls: every RPC carries `accesstoken` (a live session of this org), `instanceurl` (the
instance the token was issued for) and `tenantid` (the org id), as the Pub/Sub API requires."""
from __future__ import annotations

from ..models import SfOrg, SfToken
from ..oauth import session_valid
from .errors import auth_error


def _root(url: str) -> str:
    return (url or "").strip().rstrip("/")


def caller_check(metadata: dict, org: SfOrg, *, instance_roots: tuple[str, ...] = ()) -> SfToken:
    """The caller's session, or the auth error. ``instance_roots``: roots accepted besides the
    one the token was issued for (the server's configured instance URL)."""
    token = session_valid(metadata.get("accesstoken") or "")
    if token is None:
        raise auth_error("Session expired or invalid (accesstoken).")
    tenant = metadata.get("tenantid") or ""
    if len(tenant) not in (15, 18) or tenant[:15] != org.org_id[:15] or (len(tenant) == 18 and tenant != org.org_id):
        raise auth_error("The tenantid does not match the org of the session.")
    accepted = {_root(token.instance_url)} | {_root(r) for r in instance_roots}
    accepted.discard("")
    if _root(metadata.get("instanceurl") or "") not in accepted:
        raise auth_error("The instanceurl does not match the org's instance.")
    return token
