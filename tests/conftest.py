"""Shared test settings: every test runs in the tiny profile with its own cache folder."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["COLORIZE_PROFILE"] = "tiny"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Models and downloads of a test go to a fresh folder, never to ~/.cache."""
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("COLORIZE_PROFILE", "tiny")
