"""The config file: defaults when absent, one clear line when broken."""

from __future__ import annotations

import pytest

from inbox.cli.main import main
from inbox.core.config import load_config
from inbox.core.errors import ConfigError


def test_a_missing_file_gives_the_defaults(tmp_path):
    config = load_config(tmp_path / "absent.toml")
    assert (config.database, config.identity, config.sync.lease_seconds) == (None, None, 30)


def test_settings_are_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[inbox]\ndatabase = "/srv/inbox.db"\nidentity = "alex"\n'
        '[sync]\nlease_seconds = 60\n[keymap]\nreply = "ctrl+r"\n'
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


def test_sla_settings_are_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[sla]\ntimezone = "Europe/Berlin"\nholidays = [2026-12-25, "2026-12-26"]\n'
        "first_response_minutes = 120\n"
        '[sla.hours]\nsat = "10:00-14:00"\n[sla.kind]\ndm = 30\n[sla.platform]\nreddit = 480\n'
    )
    sla = load_config(path).sla
    assert sla.timezone == "Europe/Berlin"
    assert [day.isoformat() for day in sla.holidays] == ["2026-12-25", "2026-12-26"]
    assert (sla.hours["sat"], sla.hours["mon"], sla.hours["sun"]) == (
        "10:00-14:00",
        "09:00-17:00",
        "closed",
    )
    assert (sla.first_response_minutes, sla.kind, sla.platform) == (
        120,
        {"dm": 30},
        {"reddit": 480},
    )
    assert sla.priority == {"urgent": 15}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[sla]\ntimezone = 'Mars/Olympus'", "is not a time zone name"),
        ("[sla]\nfirst_response = 60", "unknown setting 'first_response' in [sla]"),
        ("[sla.hours]\nmonday = '09:00-17:00'", "'monday' is not a weekday"),
        ("[sla.hours]\nmon = '17:00-09:00'", "mon must be like"),
        ("[sla.kind]\ntweet = 30", "'tweet' is not a kind"),
        ("[sla.priority]\nurgent = 0", "must be a whole number of minutes above 0"),
        ("[sla]\nholidays = ['soon']", "holidays are dates like 2026-12-25"),
        (
            "[sla.hours]\nmon = 'closed'\ntue = 'closed'\nwed = 'closed'\n"
            "thu = 'closed'\nfri = 'closed'",
            "closes every day",
        ),
    ],
)
def test_a_broken_sla_section_is_named_with_its_problem(tmp_path, content, problem):
    path = tmp_path / "config.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert problem in str(raised.value)
