from chatplane.domain.access import agent_has_group_access, chat_rights, role_scopes


def test_normal_role_holds_only_normal_scopes() -> None:
    scopes = role_scopes("normal")
    assert "chats--all:ro" in scopes
    assert "chats.conversation--all:rw" in scopes
    assert "chats--all:rw" not in scopes
    assert "webhooks--my:rw" not in scopes


def test_administrator_and_owner_hold_every_scope() -> None:
    assert role_scopes("administrator") == role_scopes("owner")
    assert "agents-bot--all:rw" in role_scopes("administrator")


def test_my_scope_covers_only_chats_with_presence() -> None:
    scopes = frozenset({"chats--my:rw"})
    assert chat_rights(scopes, present=True, has_access=False) == ("rw", "rw")
    assert chat_rights(scopes, present=False, has_access=True) == ("", "")


def test_access_scope_covers_access_and_presence() -> None:
    scopes = frozenset({"chats--access:ro"})
    assert chat_rights(scopes, present=False, has_access=True) == ("ro", "ro")
    assert chat_rights(scopes, present=True, has_access=False) == ("ro", "ro")
    assert chat_rights(scopes, present=False, has_access=False) == ("", "")


def test_conversation_scope_writes_conversation_and_reads_meta() -> None:
    scopes = frozenset({"chats.conversation--all:rw"})
    assert chat_rights(scopes, present=False, has_access=False) == ("ro", "rw")


def test_group_zero_means_every_agent() -> None:
    assert agent_has_group_access([0], [5])
    assert agent_has_group_access([1, 2], [2])
    assert not agent_has_group_access([1, 2], [3])


def test_implied_scopes_follow_the_notice_of_scopes_md() -> None:
    from chatplane.domain.access import implied

    held = implied(frozenset({"chats--all:rw", "chats.conversation--access:rw"}))
    for scope in ("chats--all:ro", "chats--access:rw", "chats--my:ro", "chats--access:ro"):
        assert scope in held
    assert "chats--all:ro" not in implied(frozenset({"chats.conversation--access:rw"}))
    assert "chats--my:ro" in implied(frozenset({"chats.conversation--access:rw"}))


def test_require_scope_names_the_scopes_it_needs() -> None:
    import pytest

    from chatplane.domain.access import require_scope
    from chatplane.errors import ApiError

    require_scope(frozenset({"chats--all:rw"}), "chats--my:ro")
    with pytest.raises(ApiError) as err:
        require_scope(frozenset({"chats--my:ro"}), "multicast:rw")
    assert err.value.type == "authorization" and "multicast:rw" in err.value.message
