"""Custom search attributes: they let operators and batch jobs find posts. No personal data here."""

from temporalio.common import SearchAttributeKey

POST_STATUS = SearchAttributeKey.for_keyword("PostStatus")
WORKSPACE_ID = SearchAttributeKey.for_keyword("WorkspaceId")

ALL = [POST_STATUS, WORKSPACE_ID]
