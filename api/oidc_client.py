"""postgate as an OpenID Connect client (relying party): the provider's metadata and keys, the code exchange,
and the checks an id_token must pass before anyone is signed in.

Built on authlib's protocol pieces: the authorization URL and token request (PKCE S256, client
authentication), and `CodeIDToken`, which checks the claims; joserfc (authlib's JOSE library, which authlib
itself verifies id_tokens with; `authlib.jose` is deprecated) checks the signature. Requests go through the
project's httpx (authlib's own httpx client now warns that it wants httpx2).

The discovery document and the provider's keys are cached per issuer; an id_token signed with a key id we have
not seen fetches the keys again (key rotation), at most once a minute, so made-up key ids cannot make us hammer
the provider.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from settings import Settings

logger = logging.getLogger("postgate.oidc")

METADATA_LIFETIME = 3600.0  # seconds a discovery document is trusted before it is fetched again
KEYS_REFRESH_INTERVAL = 60.0  # an unknown key id refetches the keys at most this often
CLOCK_LEEWAY = 60  # seconds of clock difference with the provider tolerated on exp and iat
TIMEOUT = httpx.Timeout(10.0)
FORM = "application/x-www-form-urlencoded"
# Only signatures made with the provider's private key: "none" and HMAC (keyed with the client secret, which
# we hold too) are never accepted, whatever the provider advertises.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class ProviderUnavailable(Exception):
    """The provider could not be asked (unreachable, or its answers make no sense); nobody's fault but ours or
    its own. The message is safe to show and says what to check."""


class SignInRejected(Exception):
    """The provider's answer does not prove who the person is; the message says why, safe to show."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str
    scopes: str
    allow_signup: bool

    @classmethod
    def of(cls, settings: Settings) -> OidcConfig | None:
        """The configuration, or None when OIDC sign-in is off (no issuer or no client id)."""
        if not settings.oidc_issuer or not settings.oidc_client_id:
            return None
        return cls(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            redirect_url=settings.oidc_redirect_url,
            scopes=settings.oidc_scopes,
            allow_signup=settings.oidc_allow_signup,
        )


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    token_auth_methods: tuple[str, ...]

    def client_auth_method(self, has_secret: bool) -> str:
        if not has_secret:
            return "none"  # a public client: PKCE alone binds the code to us
        # The spec's default when the provider does not say is client_secret_basic.
        methods = self.token_auth_methods or ("client_secret_basic",)
        return "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"


def _secure(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))


def _parse_metadata(issuer: str, document: Any) -> ProviderMetadata:
    if not isinstance(document, Mapping):
        raise ProviderUnavailable(f"the discovery document of {issuer} is not a JSON object")
    if document.get("issuer") != issuer:
        # OpenID Connect Discovery 1.0, section 4.3: they must be identical, or tokens could come from elsewhere.
        raise ProviderUnavailable(
            f"the provider calls itself '{document.get('issuer')}', not '{issuer}'; "
            "set POSTGATE_OIDC_ISSUER to exactly its issuer"
        )
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
    if missing:
        raise ProviderUnavailable(f"the discovery document of {issuer} lacks {', '.join(missing)}")
    insecure = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not _secure(document[k])]
    if insecure:
        raise ProviderUnavailable(f"the provider's {', '.join(insecure)} must be https URLs")
    advertised = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(a for a in ASYMMETRIC if a in advertised)
    if not algorithms:
        raise ProviderUnavailable(f"the provider signs id_tokens only with {advertised}; postgate needs RS256 or ES256")
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        algorithms=algorithms,
        token_auth_methods=tuple(document.get("token_endpoint_auth_methods_supported") or ()),
    )


def _rejection(err: JoseError) -> str:
    """Why an id_token was refused, for the person signing in (and the log)."""
    if isinstance(err, BadSignatureError):
        return "its signature does not verify with the provider's published keys"
    if isinstance(err, InvalidKeyIdError):
        return "it is signed with a key the provider does not publish"
    if isinstance(err, ExpiredTokenError):
        return "it has expired"
    if isinstance(err, InvalidClaimError):
        reasons = {
            "aud": "it was issued to another client (aud), not to POSTGATE_OIDC_CLIENT_ID",
            "iss": "it was issued by another provider (iss)",
            "nonce": "its nonce is not this sign-in's (a token replayed from another sign-in?)",
            "azp": "it was issued to another client (azp)",
            "iat": "its issue time (iat) is in the future",
        }
        return reasons.get(err.claim, f"its '{err.claim}' claim is invalid")
    if isinstance(err, MissingClaimError):
        return f"it lacks the '{err.claim}' claim"
    return f"it cannot be read as a signed token ({err.error or type(err).__name__})"


@dataclass
class Provider:
    """One OpenID provider, by issuer URL, with its discovery document and keys cached."""

    issuer: str
    transport: httpx.AsyncBaseTransport | None = None  # the seam for tests that fake the network
    _metadata: ProviderMetadata | None = field(default=None, init=False, repr=False)
    _metadata_at: float = field(default=0.0, init=False, repr=False)
    _keys: KeySet | None = field(default=None, init=False, repr=False)
    _keys_at: float = field(default=0.0, init=False, repr=False)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=TIMEOUT, transport=self.transport)

    async def _get_json(self, url: str, what: str) -> Any:
        try:
            async with self._client() as client:
                response = await client.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                return response.json()
        except (httpx.HTTPError, ValueError) as err:
            logger.warning("OIDC %s at %s failed: %r", what, url, err)
            raise ProviderUnavailable(f"the identity provider's {what} could not be fetched from {url}") from err

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_LIFETIME:
            if not _secure(self.issuer):
                raise ProviderUnavailable("POSTGATE_OIDC_ISSUER must be an https URL")
            url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
            self._metadata = _parse_metadata(self.issuer, await self._get_json(url, "discovery document"))
            self._metadata_at = time.monotonic()
        return self._metadata

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        stale = time.monotonic() - self._keys_at > KEYS_REFRESH_INTERVAL
        if self._keys is None or (refresh and stale):
            document = await self._get_json((await self.metadata()).jwks_uri, "keys (JWKS)")
            try:
                self._keys = KeySet.import_key_set(document)
            except (JoseError, KeyError, TypeError, ValueError) as err:
                raise ProviderUnavailable("the identity provider's keys (JWKS) cannot be read") from err
            self._keys_at = time.monotonic()
        return self._keys

    async def authorization_url(self, config: OidcConfig, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser: the provider's login page, asking for a code for us (PKCE S256)."""
        metadata = await self.metadata()
        url: str = prepare_grant_uri(
            metadata.authorization_endpoint,
            client_id=config.client_id,
            response_type="code",
            redirect_uri=config.redirect_url,
            scope=config.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

    async def exchange_code(self, config: OidcConfig, *, code: str, code_verifier: str) -> dict[str, Any]:
        """The provider's tokens for the code; they include the id_token (not yet checked)."""
        metadata = await self.metadata()
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=config.redirect_url, code_verifier=code_verifier
        )
        method = metadata.client_auth_method(bool(config.client_secret))
        url, headers, body = ClientAuth(config.client_id, config.client_secret, method).prepare(
            "POST", metadata.token_endpoint, {"Content-Type": FORM, "Accept": "application/json"}, body
        )
        try:
            async with self._client() as client:
                response = await client.post(url, content=body, headers=headers)
            token = response.json()
        except (httpx.HTTPError, ValueError) as err:
            logger.warning("OIDC token request to %s failed: %r", metadata.token_endpoint, err)
            raise ProviderUnavailable("the identity provider's token endpoint did not answer") from err
        if response.status_code in (400, 401) and isinstance(token, dict) and "error" in token:
            # Used already, expired, not ours, or the PKCE verifier does not match (RFC 6749, section 5.2).
            raise SignInRejected(f"the identity provider refused the sign-in code ({token['error']})")
        if response.status_code != 200 or not isinstance(token, dict):
            logger.warning("OIDC token endpoint %s answered %s", metadata.token_endpoint, response.status_code)
            raise ProviderUnavailable(f"the identity provider's token endpoint answered {response.status_code}")
        if not isinstance(token.get("id_token"), str):
            raise ProviderUnavailable("the identity provider sent no id_token; is 'openid' in POSTGATE_OIDC_SCOPES?")
        return token

    async def verified_claims(
        self, config: OidcConfig, id_token: str, *, nonce: str, access_token: str | None
    ) -> dict[str, Any]:
        """The id_token's claims once its signature, issuer, audience, times and nonce have all been checked."""
        metadata = await self.metadata()
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), algorithms=list(metadata.algorithms))
            except InvalidKeyIdError:
                decoded = jwt.decode(id_token, await self._key_set(refresh=True), algorithms=list(metadata.algorithms))
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                options={
                    "iss": {"essential": True, "value": metadata.issuer},
                    "aud": {"essential": True, "value": config.client_id},
                    "nonce": {"essential": True},
                },
                params={"nonce": nonce, "client_id": config.client_id, "access_token": access_token},
            )
            claims.validate(leeway=CLOCK_LEEWAY)
        except JoseError as err:
            reason = _rejection(err)
            logger.warning("OIDC id_token from %s refused: %s (%r)", self.issuer, reason, err)
            raise SignInRejected(f"the identity provider's id_token was refused: {reason}") from err
        except ValueError as err:  # not a compact JWS at all
            raise SignInRejected("the identity provider's id_token was refused: it is not a signed token") from err
        return dict(claims)


_providers: dict[str, Provider] = {}


def provider_for(issuer: str) -> Provider:
    """The cached provider for this issuer (one per process, shared by every request)."""
    if issuer not in _providers:
        _providers[issuer] = Provider(issuer)
    return _providers[issuer]
