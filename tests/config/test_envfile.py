from config.envfile import envfile_ensure, read_env


def test_first_run_generates_secrets_and_later_runs_keep_them(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "LEDGERLINK_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / ".env"
    added = envfile_ensure(path)
    assert added == ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "LEDGERLINK_ADMIN_PASSWORD"]
    first = read_env(path)
    assert len(first["SECRET_KEY"]) >= 50 and oct(path.stat().st_mode)[-3:] == "600"
    assert envfile_ensure(path) == []
    assert read_env(path) == first


def test_a_value_set_by_hand_is_never_overwritten(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "LEDGERLINK_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / ".env"
    path.write_text("SECRET_KEY=mine\n")
    assert envfile_ensure(path) == ["FIELD_ENCRYPTION_KEYS", "LEDGERLINK_ADMIN_PASSWORD"]
    assert read_env(path)["SECRET_KEY"] == "mine"
