"""The config file: defaults when absent, one clear line when broken."""

from __future__ import annotations

import json

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


def test_the_commands_this_machine_runs_come_from_its_config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[status_page]\nout_dir = "/srv/status"\n'
        "publish_command = \"rsync -a --delete '{dir}/' web:/var/www/status/\"\n"
        '[listening]\ncommands = { page-oncall = "/usr/local/bin/page-oncall --team brand" }\n'
    )
    config = load_config(path)
    assert str(config.status_page.out_dir) == "/srv/status"
    assert config.status_page.publish_command.startswith("rsync -a --delete")
    assert config.listening.commands == {"page-oncall": "/usr/local/bin/page-oncall --team brand"}
    defaults = load_config(tmp_path / "absent.toml")
    assert defaults.status_page.out_dir is None and defaults.listening.commands == {}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[inbox\ndatabase = 1", "not valid TOML"),
        ("[inbox]\ndatabse = 'x'", "unknown setting 'databse' in [inbox]"),
        ("[sync]\nlease_seconds = 'soon'", "[sync] lease_seconds must be a whole number, not str"),
        ("[colours]\nx = 1", "unknown section [colours]"),
        ("[keymap]\nreply = 3", "[keymap] maps binding ids to key names"),
        ("[status_page]\nbase_url = 'x'", "unknown setting 'base_url' in [status_page]"),
        ("[status_page]\nout_dir = ' '", "[status_page] out_dir is empty"),
        ("[status_page]\npublish_command = 'x \"y'", "publish_command cannot be split"),
        ("[listening]\ncommands = 'page'", "[listening] commands must be a table, not str"),
        ("[listening]\ncommands = { 'a b' = 'x' }", "'a b' is no command name"),
        ("[listening]\ncommands = { page = 3 }", "page must be a command line (a string)"),
        ("[listening]\ncommands = { page = ' ' }", "[listening] commands: page is empty"),
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


def test_a_config_file_with_sla_is_refused_with_the_command_that_moves_it(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text('[inbox]\nidentity = "ana"\n[sla]\ntimezone = "Europe/Berlin"\n')

    status = main(["--config", str(path), "--db", str(tmp_path / "inbox.db"), "agents", "list"])

    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert f"{path}: the SLA policy is a team setting" in err
    assert f"`inbox team sla import {path}`" in err


def test_team_sla_import_moves_the_files_sla_into_the_database(tmp_path, capsys):
    database = str(tmp_path / "inbox.db")
    path = tmp_path / "config.toml"
    path.write_text(
        f'[inbox]\ndatabase = "{database}"\nidentity = "ana"\n'
        '[sla]\ntimezone = "Europe/Berlin"\nholidays = [2026-12-25, "2026-12-26"]\n'
        "first_response_minutes = 120\n"
        '[sla.hours]\nsat = "10:00-14:00"\n[sla.kind]\ndm = 30\n[sla.platform]\nreddit = 480\n'
    )
    assert main(["--db", database, "agents", "add", "ana", "--role", "admin"]) == 0

    status = main(["--config", str(path), "team", "sla", "import", str(path)])

    out = capsys.readouterr().out
    assert status == 0
    assert "ana changed the SLA policy (version 1): timezone from UTC to Europe/Berlin" in out
    assert f"delete [sla] from {path}" in out
    assert main(["--db", database, "team", "sla", "show", "--format", "json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    sla = stored["settings"]
    assert (stored["version"], stored["updated_by"]) == (1, "ana")
    assert sla["timezone"] == "Europe/Berlin"
    assert sla["holidays"] == ["2026-12-25", "2026-12-26"]
    assert (sla["hours"]["sat"], sla["hours"]["mon"], sla["hours"]["sun"]) == (
        "10:00-14:00",
        "09:00-17:00",
        "closed",
    )
    assert (sla["first_response_minutes"], sla["kind"], sla["platform"]) == (
        120,
        {"dm": 30},
        {"reddit": 480},
    )
    assert sla["priority"] == {"urgent": 15}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[sla]\ntimezone = 'Mars/Olympus'", "[sla] timezone 'Mars/Olympus' is not a time zone"),
        ("[sla]\nfirst_response = 60", "unknown setting 'first_response' in [sla]"),
        ("[sla.hours]\nmonday = '09:00-17:00'", "[sla.hours] 'monday' is not a weekday"),
        ("[sla.hours]\nmon = '17:00-09:00'", "[sla.hours] mon must be like"),
        ("[sla.kind]\ntweet = 30", "[sla.kind] 'tweet' is not a kind"),
        ("[sla.priority]\nurgent = 0", "must be a whole number of minutes above 0"),
        ("[sla]\nholidays = ['soon']", "[sla] holidays are dates like 2026-12-25"),
        (
            "[sla.hours]\nmon = 'closed'\ntue = 'closed'\nwed = 'closed'\n"
            "thu = 'closed'\nfri = 'closed'",
            "closes every day",
        ),
        ("[inbox]\nidentity = 'ana'", "there is no [sla] table to import"),
    ],
)
def test_a_broken_sla_table_is_named_with_its_problem_and_nothing_stored(
    tmp_path, capsys, content, problem
):
    database = str(tmp_path / "inbox.db")
    assert main(["--db", database, "agents", "add", "ana", "--role", "admin"]) == 0
    path = tmp_path / "old.toml"
    path.write_text(content)

    status = main(["--db", database, "--as", "ana", "team", "sla", "import", str(path)])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"inbox: {path}: ") and problem in err
    assert main(["--db", database, "team", "history"]) == 0
    assert "no team setting has been changed yet" in capsys.readouterr().out
