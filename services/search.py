"""Finding cases by what staff type: a case number, or words of the description.

A number goes through the number's unique index alone. Words go through a pg_trgm GIN index
(`services_case_words`, migration 0009) instead of reading every case in the scope.

Trigrams need three characters, and most Chinese words are two ("漏水", "噪音", "路灯"): a
trigram index on the description itself cannot serve `LIKE '%漏水%'` and PostgreSQL would
read the whole index. So the index is on the description written as its overlapping character
pairs, each pair a word of its own: "路面有坑" → " 路 路面 面有 有坑 坑 " (SQL function
`services_case_words`, one regexp_replace). A term becomes its pairs in a row
(" 路面 面有 有坑 "), whose padded trigrams the index holds for terms of two characters and
more."""

from __future__ import annotations

import re

from django.db.models import Func, Q, TextField
from django.db.models.lookups import Contains
from django.utils.translation import gettext as _

_CASE_NUMBER = re.compile(r"\d{13,16}")  # YYYYMMDD + a serial of 5 or more digits
MIN_TERM = 2
MAX_TERMS = 4
MAX_TERM = 40


def as_case_number(term: str) -> str | None:
    """The search term when it is a case number, else None.

    A number is searched through its unique index alone: the admin's and DRF's "=number"
    compare case-insensitively (UPPER(number) = UPPER(term)), which no index serves, and the
    description arm beside it reads every case in scope (0.8 s for a district at 1M cases)."""
    term = (term or "").strip()
    return term if _CASE_NUMBER.fullmatch(term) else None


class CaseWords(Func):
    """services_case_words(text): the text lower-cased, each character written twice around
    a space, so that every pair of neighbours stands as a word: "路面有" → " 路 路面 面有 有 ".
    Defined in migration 0009 (SQL, IMMUTABLE, so PostgreSQL may index it); `pairs` below is
    its twin in Python, for the term."""

    function = "services_case_words"
    output_field = TextField()


def pairs(term: str) -> str:
    """The term as the index spells text, without the lone first and last characters:
    "路面有" → " 路面 面有 " (a substring of services_case_words(text) when the text holds
    the term)."""
    t = term.lower()
    return " " + " ".join(t[i : i + 2] for i in range(len(t) - 1)) + " "


def word_q(term: str) -> Q:
    """Cases whose description holds `term` (two characters or more), case-insensitively.

    The pairs test is exact on its own: two characters stand side by side in the pairs text
    only where they do in the description, and a run of pairs only where the whole term does.
    A second test on the description (ILIKE) would be cheaper to evaluate, but PostgreSQL then
    multiplies the two selectivities of one condition and expects 3 matches where there are
    11,000: it joins and sorts them all instead of reading the scope in order."""
    return Q(Contains(CaseWords("description"), pairs(term)))


def search_q(text: str) -> tuple[Q | None, str | None]:
    """The filter for what was typed in the search box, and a sentence about anything left
    out (None when all was used). A case number matches that number; otherwise every word
    (split on spaces) of two characters or more must appear in the description."""
    text = (text or "").strip()
    if not text:
        return None, None
    number = as_case_number(text)
    if number is not None:
        return Q(number=number), None
    words = [w[:MAX_TERM] for w in text.split()]
    kept = [w for w in words if len(w) >= MIN_TERM][:MAX_TERMS]
    problem = None
    if len(kept) < len(words):
        problem = _(
            "Search words need at least two characters (at most %(n)s words are used); "
            "the rest were left out."
        ) % {"n": MAX_TERMS}
    if not kept:
        return None, problem
    q = Q()
    for word in kept:
        q &= word_q(word)
    return q, problem
