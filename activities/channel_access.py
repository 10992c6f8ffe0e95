"""One activity's use of one channel: refuse an unavailable channel, open its credentials, run platform
calls under the platform's limits, and deal with credentials the platform refuses.

Refused credentials (`AuthExpired`) on a channel that can refresh (OAuth2 with a refresh token) are
refreshed once, the new tokens sealed and stored, and the call repeated. When that is impossible or fails,
the channel is marked `needs_reconnection` with the platform's reason and the activity fails for good
(`ChannelNeedsReconnection`): every later post on the channel is refused up front until an admin reconnects.
The sandbox holds no credentials of ours, so its refusals stay plain non-retryable `AuthExpired`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError

from activities.channels import ChannelAdapters
from platforms.base import PlatformAdapter, RefreshableAdapter, TokenSet
from platforms.errors import AuthExpired, PlatformError, RejectedByPlatform
from store.channels import (
    ACTIVE,
    DISABLED,
    mark_needs_reconnection_if_unchanged,
    replace_credentials_if_unchanged,
)
from store.credentials import CredentialError, Secrets, open_channel
from store.engine import transaction
from store.tables import Channel
from store.workspaces import get_channel

T = TypeVar("T")
# An access token this close to its expiry is refreshed before use rather than after a refusal.
REFRESH_AHEAD = timedelta(minutes=5)


def _channel_path(channel: Channel) -> str:
    return f"/workspaces/{channel.workspace_id}/channels/{channel.id}"


def refuse_unavailable(channel: Channel, *, publishing: bool) -> None:
    """Raise unless the channel may be used: only active channels publish; a disabled one may still be read."""
    if channel.state == ACTIVE or (channel.state == DISABLED and not publishing):
        return
    if channel.state == DISABLED:
        what = f"is disabled: an admin enables it (POST {_channel_path(channel)}/enable), then retry publishing"
    else:
        reason = f" ({channel.state_reason})" if channel.state_reason else ""
        what = (
            f"needs reconnecting{reason}: an admin reconnects it with new credentials "
            f"(POST {_channel_path(channel)}/reconnect), then retry publishing"
        )
    raise ApplicationError(f"channel '{channel.id}' {what}", type="ChannelUnavailable", non_retryable=True)


def can_refresh(adapter: PlatformAdapter) -> bool:
    return bool(getattr(adapter, "can_refresh", False))


class ChannelAccess:
    def __init__(self, channels: ChannelAdapters, engine: Engine, channel: Channel, secrets: Secrets | None) -> None:
        self._channels = channels
        self._engine = engine
        self.channel = channel
        self._secrets = secrets
        self.adapter = channels.for_channel(channel, secrets)

    @classmethod
    async def open(
        cls, channels: ChannelAdapters, engine: Engine, channel: Channel, *, publishing: bool
    ) -> ChannelAccess:
        refuse_unavailable(channel, publishing=publishing)
        access = cls(channels, engine, channel, _opened(channels, channel))
        expires = channel.token_expires_at
        if expires is not None and expires - datetime.now(UTC) < REFRESH_AHEAD and can_refresh(access.adapter):
            try:
                await access._recover(AuthExpired(channel.platform, "the access token is about to expire"))
            except PlatformError:
                pass  # the token endpoint is unwell: the current token may still do, and a refusal refreshes again
        return access

    async def call(self, operation: Callable[[PlatformAdapter], Awaitable[T]]) -> T:
        """Run one platform operation under the platform's concurrency cap, recovering refused credentials once."""
        try:
            return await self._limited(operation)
        except AuthExpired as refused:
            if self._secrets is None:
                raise
            await self._recover(refused)
        try:
            return await self._limited(operation)
        except AuthExpired as again:
            reason = f"{again.platform} refused the new credentials: {again.message}"
            raise await self._needs_reconnection(reason) from again

    async def _limited(self, operation: Callable[[PlatformAdapter], Awaitable[T]]) -> T:
        async with self._channels.limits.semaphore(self.channel.platform):
            return await operation(self.adapter)

    async def _recover(self, refused: AuthExpired) -> None:
        """Make the credentials usable again (refresh, or adopt what another worker stored) or give up."""
        if not can_refresh(self.adapter):
            raise await self._needs_reconnection(f"{refused.platform} refused the credentials: {refused.message}")
        async with self._channels.refresh_locks[self.channel.id]:
            if await self._adopt_if_changed():
                return
            adapter = cast(RefreshableAdapter, self.adapter)
            try:
                async with self._channels.limits.semaphore(self.channel.platform):
                    tokens = await adapter.refresh()
            except (AuthExpired, RejectedByPlatform) as failed:
                # Another worker may have used the single-use refresh token a moment ago.
                if await self._adopt_if_changed():
                    return
                reason = f"{failed.platform} refused the token refresh: {failed.message}"
                raise await self._needs_reconnection(reason) from failed
            await self._store(tokens)

    async def _store(self, tokens: TokenSet) -> None:
        secrets = Secrets(self._secrets or {})
        secrets["access_token"] = tokens.access_token.get_secret_value()
        if tokens.refresh_token is not None:
            secrets["refresh_token"] = tokens.refresh_token.get_secret_value()
        if tokens.expires_at is not None:
            secrets["expires_at"] = tokens.expires_at.isoformat()
        else:
            secrets.pop("expires_at", None)
        ciphertext, key_id = self._channels.keyring.seal(self.channel.id, secrets)
        expected = self.channel.credentials

        def write() -> bool:
            with transaction(self._engine) as session:
                return replace_credentials_if_unchanged(
                    session, self.channel, expected, ciphertext, key_id, tokens.expires_at
                )

        if not await asyncio.to_thread(write):
            # Reconnected while we refreshed: the admin's credentials win.
            await self._adopt_if_changed()
            return
        # The row is detached from its session: changing it here changes nothing in the database.
        self.channel.credentials, self.channel.credentials_key_id = ciphertext, key_id
        self.channel.token_expires_at = tokens.expires_at
        self._use(self.channel, secrets)

    async def _adopt_if_changed(self) -> bool:
        fresh = await asyncio.to_thread(self._reload)
        if fresh is None or fresh.credentials == self.channel.credentials:
            return False
        refuse_unavailable(fresh, publishing=False)
        self._use(fresh, _opened(self._channels, fresh))
        return True

    def _use(self, channel: Channel, secrets: Secrets | None) -> None:
        self.channel, self._secrets = channel, secrets
        self.adapter = self._channels.for_channel(channel, secrets)

    def _reload(self) -> Channel | None:
        with transaction(self._engine) as session:
            return get_channel(session, self.channel.workspace_id, self.channel.id)

    async def _needs_reconnection(self, reason: str) -> ApplicationError:
        expected = self.channel.credentials

        def mark() -> bool:
            with transaction(self._engine) as session:
                return mark_needs_reconnection_if_unchanged(session, self.channel, expected, reason)

        await asyncio.to_thread(mark)
        return ApplicationError(
            f"channel '{self.channel.id}' needs reconnecting: {reason}. An admin reconnects it with new "
            f"credentials (POST {_channel_path(self.channel)}/reconnect), then retry publishing",
            type="ChannelNeedsReconnection",
            non_retryable=True,
        )


def _opened(channels: ChannelAdapters, channel: Channel) -> Secrets | None:
    if channel.credentials is None:
        return None
    try:
        return open_channel(channel, channels.keyring)
    except CredentialError as err:
        raise ApplicationError(str(err), type="CredentialsUnreadable", non_retryable=True) from None
