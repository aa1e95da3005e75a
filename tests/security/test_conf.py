"""The app's policy knobs: a Django setting wins, else the environment variable of the same name (the README's
table), else the app's default; read at use, so an override applies at once."""

from __future__ import annotations

import pytest

from apps.security.conf import DEFAULT_WARNING_WEIGHTS, security_settings


def test_a_knob_defaults_in_the_app(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SECURITY_SCORE_BLOCK", raising=False)
    assert security_settings.SCORE_BLOCK == 80


def test_the_environment_variable_of_the_same_name_sets_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECURITY_DRAIN_SHARE", "0.5")
    monkeypatch.setenv("SECURITY_UNLIMITED_ALLOWANCE", str(2**128))
    assert security_settings.DRAIN_SHARE == 0.5
    assert security_settings.UNLIMITED_ALLOWANCE == 2**128


def test_a_django_setting_wins_over_the_environment(monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECURITY_SCORE_WARN", "10")
    settings.SECURITY_SCORE_WARN = 55
    assert security_settings.SCORE_WARN == 55


def test_warning_weights_from_the_environment_retune_some_kinds(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECURITY_WARNING_WEIGHTS", "velocity=70, new_device=0")
    weights = security_settings.WARNING_WEIGHTS
    assert (weights["velocity"], weights["new_device"]) == (70, 0)
    assert weights["balance_drain"] == DEFAULT_WARNING_WEIGHTS["balance_drain"]


def test_a_malformed_environment_value_fails_loudly(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SECURITY_SIMULATION_GAS", "lots")
    with pytest.raises(ValueError):
        security_settings.SIMULATION_GAS  # noqa: B018
