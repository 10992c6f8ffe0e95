"""A small OpenID provider for the tests, faithful where postgate relies on it, able to misbehave on request.

It serves a discovery document, its keys (a real 2048-bit RSA key, RS256), an /authorize endpoint that
consents at once as `provider.user` and sends the browser back with a code (keeping the state, recording
the nonce and the PKCE challenge), and a /token endpoint that checks the code (once only, briefly valid, for
this client and redirect URI), the client's credentials and the PKCE verifier, then answers an RS256-signed
id_token. Set `provider.misbehave` to make the next id_tokens wrong in one way; `rotate_key()` publishes a
new signing key as real providers do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from servers import ThreadedServer

CODE_LIFETIME = 60  # seconds


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass
class TestUser:
    """Who the provider says signed in."""

    __test__ = False  # not a pytest test class
    sub: str = "248289761001"
    email: str = "eve@acme.example"
    email_verified: Any = True
    name: str = "Eve Example"


@dataclass
class Misbehaviour:
    """Ways the id_tokens it issues go wrong (none by default)."""

    nonce: str | None = None  # carries this nonce, not the one the client asked for
    audience: str | None = None  # issued to this client instead
    issuer: str | None = None  # says this issuer instead
    expired: bool = False  # exp an hour ago
    foreign_key: bool = False  # signed by a key it does not publish, under the published key's id
    unknown_kid: bool = False  # signed by a key it does not publish, under a key id it never published
    deny: str | None = None  # /authorize answers this OAuth error (e.g. access_denied) instead of a code


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str
    issued_at: float


@dataclass
class OpenIDProvider:
    client_id: str = "postgate"
    client_secret: str = "provider-issued-secret"
    redirect_uris: list[str] = field(default_factory=list)
    issuer: str = ""  # set once the server has a port
    user: TestUser = field(default_factory=TestUser)
    misbehave: Misbehaviour = field(default_factory=Misbehaviour)
    keys: list[RSAKey] = field(default_factory=lambda: [_new_key("key-1")])
    codes: dict[str, Grant] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.user, self.misbehave = TestUser(), Misbehaviour()
        self.authorize_requests.clear()
        self.token_requests.clear()

    def rotate_key(self) -> None:
        """A new signing key, published first; the old one stays published for tokens already out."""
        self.keys.insert(0, _new_key(f"key-{len(self.keys) + 1}"))

    # ---- endpoints ------------------------------------------------------------------------------------------

    def discovery(self, _: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "email", "profile"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
            }
        )

    def jwks(self, _: Request) -> Response:
        return JSONResponse({"keys": [key.as_dict(private=False) for key in self.keys]})

    def authorize(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.authorize_requests.append(q)
        # An unknown client or redirect URI must not be redirected to (RFC 6749, section 4.1.2.1).
        if q.get("client_id") != self.client_id or q.get("redirect_uri") not in self.redirect_uris:
            return PlainTextResponse("unknown client or redirect_uri", status_code=400)
        redirect_uri, state = q["redirect_uri"], q.get("state")

        def back(**params: str) -> Response:
            if state is not None:
                params["state"] = state
            return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

        if q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
            return back(error="invalid_request", error_description="response_type=code and scope openid")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE with S256 is required")
        if self.misbehave.deny:
            return back(error=self.misbehave.deny, error_description="The user declined")
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(self.client_id, redirect_uri, q.get("nonce"), q["code_challenge"], time.time())
        return back(code=code)

    def _client_of(self, request: Request, form: dict[str, str]) -> tuple[str, str] | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            decoded = base64.b64decode(header[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            return unquote(client_id), unquote(secret)
        if "client_id" in form:
            return form["client_id"], form.get("client_secret", "")
        return None

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))  # x-www-form-urlencoded, as RFC 6749 says
        self.token_requests.append(form)
        client = self._client_of(request, form)
        if client is None or client[0] != self.client_id or not hmac.compare_digest(client[1], self.client_secret):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        verifier = form.get("code_verifier", "")
        problem = None
        if grant is None or time.time() - grant.issued_at > CODE_LIFETIME:
            problem = "unknown, used or expired code"
        elif grant.client_id != client[0] or grant.redirect_uri != form.get("redirect_uri"):
            problem = "the code was issued to another client or redirect_uri"
        elif _b64url(hashlib.sha256(verifier.encode()).digest()) != grant.code_challenge:
            problem = "the PKCE code_verifier does not match the code_challenge"
        if problem is not None or grant is None:
            return JSONResponse({"error": "invalid_grant", "error_description": problem}, status_code=400)
        access_token = secrets.token_urlsafe(32)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "openid email profile",
                "id_token": self.id_token(grant, access_token),
            },
            headers={"Cache-Control": "no-store"},
        )

    def id_token(self, grant: Grant, access_token: str) -> str:
        wrong, now = self.misbehave, int(time.time())
        issued = now - 7200 if wrong.expired else now
        claims: dict[str, Any] = {
            "iss": wrong.issuer or self.issuer,
            "aud": wrong.audience or grant.client_id,
            "sub": self.user.sub,
            "email": self.user.email,
            "email_verified": self.user.email_verified,
            "name": self.user.name,
            "iat": issued,
            "auth_time": issued,
            "exp": issued + 3600,
            # OpenID Connect Core 3.1.3.6: the left half of the access token's SHA-256.
            "at_hash": _b64url(hashlib.sha256(access_token.encode()).digest()[:16]),
        }
        if grant.nonce is not None or wrong.nonce:
            claims["nonce"] = wrong.nonce or grant.nonce
        key, kid = self.keys[0], self.keys[0].kid
        if wrong.foreign_key or wrong.unknown_kid:
            key = _new_key("stranger")
            kid = "never-published" if wrong.unknown_kid else kid
        return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )


@contextmanager
def running_provider(**kwargs: Any) -> Iterator[OpenIDProvider]:
    """The provider, served over HTTP on a free loopback port."""
    provider = OpenIDProvider(**kwargs)
    with ThreadedServer(provider.app()) as server:
        provider.issuer = server.url
        yield provider
