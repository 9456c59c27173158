"""Settings from CHATPLANE_* variables: one reading of booleans, and values that cannot be
read stop the start-up with a message naming the variable."""

from __future__ import annotations

import pytest

from chatplane.config import Settings, SettingsError, parse_bool

BOOLEAN_SETTINGS = ("url_details_allow_private", "webhook_allow_private")


@pytest.mark.parametrize("raw", ["true", "True", "TRUE", "1", "yes", "Yes", "on", "ON", " on "])
def test_true_spellings(raw: str) -> None:
    assert parse_bool("CHATPLANE_X", raw) is True


@pytest.mark.parametrize("raw", ["false", "False", "0", "no", "NO", "off", "Off"])
def test_false_spellings(raw: str) -> None:
    assert parse_bool("CHATPLANE_X", raw) is False


@pytest.mark.parametrize("name", BOOLEAN_SETTINGS)
@pytest.mark.parametrize(("raw", "expected"), [("True", True), ("on", True), ("OFF", False)])
def test_every_boolean_setting_reads_the_same(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, expected: bool
) -> None:
    monkeypatch.setenv(f"CHATPLANE_{name.upper()}", raw)
    assert getattr(Settings(), name) is expected


@pytest.mark.parametrize("name", BOOLEAN_SETTINGS)
def test_an_unset_or_empty_boolean_is_its_default(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv(f"CHATPLANE_{name.upper()}", raising=False)
    assert getattr(Settings(), name) is False
    monkeypatch.setenv(f"CHATPLANE_{name.upper()}", "")
    assert getattr(Settings(), name) is False


@pytest.mark.parametrize("name", BOOLEAN_SETTINGS)
def test_an_unreadable_boolean_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(f"CHATPLANE_{name.upper()}", "maybe")
    with pytest.raises(SettingsError, match=f"CHATPLANE_{name.upper()}='maybe'"):
        Settings()


@pytest.mark.parametrize(("name", "raw"), [("port", "eighty"), ("offline_grace", "soon")])
def test_an_unreadable_number_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    monkeypatch.setenv(f"CHATPLANE_{name.upper()}", raw)
    with pytest.raises(SettingsError, match=f"CHATPLANE_{name.upper()}"):
        Settings()
