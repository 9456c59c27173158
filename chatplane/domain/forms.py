"""Pre-chat and post-chat forms (per group) and goals (per license), kept in the
license's settings. A group without its own form uses the license's (group 0's), and
without that the defaults below."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import urlsplit

from chatplane.errors import validation
from chatplane.storage import Tx
from chatplane.storage import accounts as repo
from chatplane.storage import goals as goals_repo

FORM_TYPES = ("prechat", "postchat")
FIELD_TYPES = {
    "header",
    "name",
    "email",
    "question",
    "textarea",
    "radio",
    "select",
    "checkbox",
    "group_chooser",
    "rating",
}


def _id(*parts: object) -> str:
    """A stable numeric id in the spec's style ("154417206262605962")."""
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    return str(int(digest[:15], 16))


def default_form(form_type: str) -> dict[str, Any]:
    if form_type == "prechat":
        fields = [
            {"type": "header", "label": "Welcome! Please tell us who you are before we start."},
            {"type": "name", "label": "Name:", "required": False},
            {"type": "email", "label": "E-mail:", "required": False},
        ]
    else:
        fields = [
            {"type": "header", "label": "Thank you for chatting with us."},
            {
                "type": "rating",
                "label": "How would you rate this chat?",
                "comment_label": "Thank you for the rating! You can leave a comment below:",
                "required": False,
            },
        ]
    return {"enabled": True, "fields": fields}


def _settings(tx: Tx, license_id: int, *, for_update: bool = False) -> dict[str, Any]:
    lic = repo.get_license(tx.conn, license_id, for_update=for_update)
    return dict(lic.settings or {}) if lic is not None else {}


def get_form(tx: Tx, license_id: int, group_id: int, form_type: str) -> dict[str, Any]:
    forms = _settings(tx, license_id).get("forms", {})
    stored = (forms.get(str(group_id)) or forms.get("0") or {}).get(form_type)
    form = stored or default_form(form_type)
    out: dict[str, Any] = {"enabled": bool(form.get("enabled", True))}
    if out["enabled"]:
        out["form"] = {
            "id": _id(license_id, group_id, form_type),
            "fields": [
                {"id": field.get("id") or _id(license_id, group_id, form_type, i), **field}
                for i, field in enumerate(form.get("fields", []))
            ],
        }
    return out


def check_form(form: Any) -> dict[str, Any]:
    if not isinstance(form, dict) or not isinstance(form.get("fields", []), list):
        raise validation("A form is an object with `enabled` and a `fields` array")
    for i, field in enumerate(form.get("fields", [])):
        if not isinstance(field, dict) or field.get("type") not in FIELD_TYPES:
            raise validation(f"fields[{i}].type must be one of {sorted(FIELD_TYPES)}")
    return {"enabled": bool(form.get("enabled", True)), "fields": form.get("fields", [])}


def set_form(tx: Tx, license_id: int, group_id: int, form_type: str, form: Any) -> None:
    if form_type not in FORM_TYPES:
        raise validation(f"type must be one of {FORM_TYPES}")
    settings = _settings(tx, license_id, for_update=True)
    forms = dict(settings.get("forms", {}))
    forms.setdefault(str(group_id), {})[form_type] = check_form(form)
    settings["forms"] = forms
    repo.set_license_settings(tx.conn, license_id, settings)


def goals(tx: Tx, license_id: int) -> list[dict[str, Any]]:
    return list(_settings(tx, license_id).get("goals", []))


def add_goal(tx: Tx, license_id: int, name: str, url_contains: str) -> dict[str, Any]:
    if not url_contains:
        raise validation("A goal needs the text its page URL contains")
    settings = _settings(tx, license_id, for_update=True)
    existing = list(settings.get("goals", []))
    goal = {"id": _id(license_id, name, url_contains), "name": name, "url_contains": url_contains}
    settings["goals"] = [*[g for g in existing if g["id"] != goal["id"]], goal]
    repo.set_license_settings(tx.conn, license_id, settings)
    return goal


def check_goals(
    tx: Tx, license_id: int, customer_id: str, group_id: int, page_url: str
) -> list[str]:
    """Record every goal whose text the page URL contains; returns their ids."""
    parts = urlsplit(page_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise validation(f"page_url {page_url!r} is not an http(s) URL")
    hit = [g["id"] for g in goals(tx, license_id) if g["url_contains"] in page_url]
    now = time.time()
    for goal_id in hit:
        goals_repo.insert_goal_hit(
            tx.conn, license_id, goal_id, customer_id, group_id, page_url, now
        )
    return hit


def goal_hits(tx: Tx, license_id: int, goal_id: str) -> int:
    return goals_repo.count_goal_hits(tx.conn, license_id, goal_id)
