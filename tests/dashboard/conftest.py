"""The dashboard's tests reuse the case engine's fixtures (the territory, categories, a desk)."""

from tests.services.conftest import _english, client, desk  # noqa: F401
