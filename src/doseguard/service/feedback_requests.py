"""A feedback request (``POST /cds-services/{id}/feedback``) read into the store's records."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from doseguard.feedback.model import FeedbackItem, Outcome


class Coding(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(min_length=1)
    system: str | None = None
    display: str | None = None


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Coding | None = None
    userComment: str | None = Field(default=None, max_length=10_000)


class AcceptedSuggestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)


class FeedbackEntry(BaseModel):
    """One card's outcome, as CDS Hooks 2.0 sends it."""

    model_config = ConfigDict(extra="forbid")

    card: str = Field(min_length=1, max_length=200)
    outcome: Outcome
    outcomeTimestamp: AwareDatetime
    acceptedSuggestions: list[AcceptedSuggestion] = Field(default_factory=list)
    overrideReason: OverrideReason | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackEntry:
        if self.overrideReason is not None and self.outcome is not Outcome.OVERRIDDEN:
            raise ValueError("overrideReason is given for an outcome that is not 'overridden'")
        if self.acceptedSuggestions and self.outcome is not Outcome.ACCEPTED:
            raise ValueError("acceptedSuggestions are given for an outcome that is not 'accepted'")
        return self

    def item(self) -> FeedbackItem:
        reason = self.overrideReason
        coding = reason.reason if reason is not None else None
        return FeedbackItem(
            card=self.card,
            outcome=self.outcome,
            outcome_at=self.outcomeTimestamp,
            accepted_suggestions=tuple(s.id for s in self.acceptedSuggestions),
            override_code=coding.code if coding is not None else None,
            override_system=coding.system if coding is not None else None,
            override_display=coding.display if coding is not None else None,
            user_comment=reason.userComment if reason is not None else None,
        )


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedback: list[FeedbackEntry] = Field(min_length=1, max_length=1000)
