"""The vocabularies of deliberation: where a matter stands, who raised it, the 四会, how the
eligible vote and what share carries a vote."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    COSIGNING = "cosigning", _("gathering co-signers")
    PROPOSED = "proposed", _("proposed, awaiting the community")
    DELIBERATING = "deliberating", _("under deliberation")
    VOTING = "voting", _("voting")
    DECIDED = "decided", _("decided")
    EXECUTING = "executing", _("being carried out")
    DONE = "done", _("carried out and open for evaluation")
    DECLINED = "declined", _("not taken up")


# Matters still moving (the desk's default list) and those finished.
OPEN_STATUSES = (
    Status.COSIGNING,
    Status.PROPOSED,
    Status.DELIBERATING,
    Status.VOTING,
    Status.DECIDED,
    Status.EXECUTING,
)


class Source(models.TextChoices):
    RESIDENTS = "residents", _("residents (co-signed)")
    PARTY_BRANCH = "party_branch", _("party branch")
    COMMITTEE = "committee", _("owners' committee (业委会)")
    STAFF = "staff", _("community staff")
    CASES = "cases", _("promoted from cases")


class MeetingKind(models.TextChoices):
    """The 四会."""

    DEPLOYMENT = "deployment", _("work deployment meeting (工作部署会)")
    HEARING = "hearing", _("residents' hearing (民情恳谈会)")
    CONSULTATION = "consultation", _("consultation meeting (议事协商会)")
    EVALUATION = "evaluation", _("annual evaluation meeting (年度评估会)")


class VoteUnit(models.TextChoices):
    HOUSEHOLD = "household", _("one household, one vote")
    PERSON = "person", _("one resident, one vote")


class Share(models.TextChoices):
    """A share of a base, as Chinese rules word it: 过半数 is strictly more than half;
    "三分之二以上" includes two thirds itself."""

    NONE = "none", _("no minimum")
    HALF = "half", _("more than half (过半数)")
    TWO_THIRDS = "two_thirds", _("two thirds or more (三分之二以上)")
    THREE_QUARTERS = "three_quarters", _("three quarters or more (四分之三以上)")


# share → (numerator, denominator, strictly more)
SHARES: dict[str, tuple[int, int, bool]] = {
    Share.NONE: (0, 1, False),
    Share.HALF: (1, 2, True),
    Share.TWO_THIRDS: (2, 3, False),
    Share.THREE_QUARTERS: (3, 4, False),
}


def reaches(part, whole, share: str) -> bool:
    """Does `part` of `whole` reach `share`? Exact (integers or Decimals, no floats)."""
    num, den, strict = SHARES[share]
    if num == 0:
        return True
    if strict:
        return part * den > whole * num
    return part * den >= whole * num


class Choice(models.TextChoices):
    YES = "yes", _("in favour")
    NO = "no", _("against")
    ABSTAIN = "abstain", _("abstain")


class Outcome(models.TextChoices):
    PASSED = "passed", _("passed")
    REJECTED = "rejected", _("not passed")
    NO_QUORUM = "no_quorum", _("no quorum")
