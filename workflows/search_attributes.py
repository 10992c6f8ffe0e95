"""Custom search attributes: they let operators and batch jobs find posts. No personal data here."""

from typing import Any

from temporalio.common import SearchAttributeKey

POST_STATUS = SearchAttributeKey.for_keyword("PostStatus")
WORKSPACE_ID = SearchAttributeKey.for_keyword("WorkspaceId")
# When the post is due to publish (UTC), kept up to date as the time moves: "what goes out in the next hour".
PUBLISH_AT = SearchAttributeKey.for_datetime("PublishAt")

ALL: list[SearchAttributeKey[Any]] = [POST_STATUS, WORKSPACE_ID, PUBLISH_AT]
