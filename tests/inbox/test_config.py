"""The config file: defaults when absent, one clear line when broken."""

from __future__ import annotations

import pytest

from inbox.cli import main
from inbox.config import load_config
from inbox.errors import ConfigError


def test_a_missing_file_gives_the_defaults(tmp_path):
    config = load_config(tmp_path / "absent.toml")
    assert (config.database, config.identity, config.sync.lease_seconds) == (None, None, 30)


def test_settings_are_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[inbox]\ndatabase = "/srv/inbox.db"\nidentity = "alex"\n'
        "[sync]\nlease_seconds = 60\n[keymap]\nreply = \"ctrl+r\"\n"
    )
    config = load_config(path)
    assert (config.database, config.identity) == ("/srv/inbox.db", "alex")
    assert config.sync.lease_seconds == 60
    assert config.keymap == {"reply": "ctrl+r"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[inbox\ndatabase = 1", "not valid TOML"),
        ("[inbox]\ndatabse = 'x'", "unknown setting 'databse' in [inbox]"),
        ("[sync]\nlease_seconds = 'soon'", "[sync] lease_seconds must be a whole number, not str"),
        ("[colours]\nx = 1", "unknown section [colours]"),
        ("[keymap]\nreply = 3", "[keymap] maps binding ids to key names"),
    ],
)
def test_a_broken_file_is_named_with_its_problem(tmp_path, content, problem):
    path = tmp_path / "config.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert problem in str(raised.value)


def test_the_cli_reports_a_broken_config_in_one_line_with_exit_2(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_bytes(b"[inbox]\nidentity = \n")

    status = main(["--config", str(path), "agents", "list"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert str(path) in err and "not valid TOML" in err
    assert "Traceback" not in err
