from pathlib import Path

import pytest

from bot.settings import Settings


def test_every_setting_has_a_default_and_a_description() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} needs a description"
        assert not field.is_required(), f"{name} needs a default"


def test_environment_and_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "conf.toml"
    config.write_text('embed_model = "some/model"\ntop_k = 3\n')
    monkeypatch.setenv("SUPPORTBOT_CONFIG", str(config))
    monkeypatch.setenv("SUPPORTBOT_TOP_K", "7")
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "d"))
    settings = Settings()
    assert settings.embed_model == "some/model"
    assert settings.top_k == 7
    assert settings.lancedb_uri == str(tmp_path / "d" / "lancedb")


def test_shipped_configs_load(monkeypatch: pytest.MonkeyPatch) -> None:
    for config in sorted(Path("config").glob("*.toml")):
        monkeypatch.setenv("SUPPORTBOT_CONFIG", str(config))
        assert Settings().embed_model
