"""What a reviewer's action can raise: the message is shown to the user as it is."""

from typing import Any


class ReviewError(Exception):
    """A review action that cannot be done; the message is shown to the user as is."""


class StaleVersion(ReviewError):
    """Someone saved the claim after this user loaded it; nothing was changed."""

    def __init__(self, claim: Any) -> None:
        who = claim.reviewed_by.get_username() if claim.reviewed_by else "someone else"
        super().__init__(
            f"This claim was changed by {who} while you were working on it (now version "
            f"{claim.version}). Your text is kept below: review the latest state and save again."
        )
        self.current = claim


class NotAllowed(ReviewError):
    """The user may not do this (their role), whatever the claim's state."""
