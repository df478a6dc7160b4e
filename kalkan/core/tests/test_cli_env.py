"""`kalkan` commands read the service's environment file (--env-file or KALKAN_ENV_FILE), and
a command whose database is not there says so in one line and creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kalkan.core.env import read_env_file
from kalkan.core.testing import kalkan

ROOT = Path(__file__).resolve().parents[3]
FAST = {"KALKAN_ARGON2_MEMORY_MIB": "8", "KALKAN_ARGON2_PASSES": "1"}


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("cli-env") / "inst"
    result = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                    "--show-escrow", env=FAST)
    assert result.returncode == 0, result.stderr
    return data


def _env_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kalkan.env"
    path.write_text(text, encoding="utf-8")
    return path


def _one_line(result, message: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_example_file_reads_as_systemd_would():
    values = read_env_file(ROOT / "deploy" / "kalkan.env.example")
    assert values["KALKAN_DATA_DIR"] == "/var/lib/kalkan/data"
    assert values["DATABASE_URL"] == "postgres://%2Frun%2Fpostgresql/kalkan"
    assert values["KALKAN_STAFF_HOSTS"] == ""
    assert "KALKAN_BASE_URL" not in values  # commented out


def test_quotes_export_and_comments(tmp_path):
    path = _env_file(tmp_path, '# a comment\n\nexport A="one two"\nB=\'x=y\'\n  C = 3  \n')
    assert read_env_file(path) == {"A": "one two", "B": "x=y", "C": "3"}


@pytest.mark.parametrize("how", ["option", "option=", "variable"])
def test_a_command_finds_its_instance_through_the_env_file(tmp_path, instance, how):
    path = _env_file(tmp_path, f"# the service's file\nKALKAN_DATA_DIR={instance}\n")
    args = ["showmigrations", "accounts"]
    env = {}
    if how == "option":
        args += ["--env-file", str(path)]
    elif how == "option=":
        args += [f"--env-file={path}"]
    else:
        env = {"KALKAN_ENV_FILE": str(path)}
    result = kalkan(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert "[X] 0001_initial" in result.stdout


def test_the_real_environment_and_data_dir_win_over_the_file(tmp_path, instance):
    path = _env_file(tmp_path, f"KALKAN_DATA_DIR={tmp_path / 'elsewhere'}\n")
    by_variable = kalkan("showmigrations", "accounts", "--env-file", str(path),
                         env={"KALKAN_DATA_DIR": str(instance)})
    by_option = kalkan("showmigrations", "accounts", "--env-file", str(path),
                       "--data-dir", str(instance))
    assert by_variable.returncode == 0 and by_option.returncode == 0, by_variable.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_the_file_is_read_before_the_settings_load(tmp_path, instance):
    path = _env_file(tmp_path, f"KALKAN_DATA_DIR={instance}\nKALKAN_IDLE_MINUTES=soon\n")
    _one_line(kalkan("showmigrations", "--env-file", str(path)),
              "KALKAN_IDLE_MINUTES='soon': expected a whole number")


def test_a_missing_or_broken_env_file_is_one_line(tmp_path):
    _one_line(kalkan("showmigrations", "--env-file", str(tmp_path / "none.env")),
              "cannot read the environment file")
    broken = _env_file(tmp_path, "KALKAN_DATA_DIR=/x\nthis is not a setting\n")
    _one_line(kalkan("showmigrations", "--env-file", str(broken)),
              "kalkan.env, line 2: expected NAME=value")


def test_a_missing_sqlite_file_is_one_line_and_not_created(tmp_path, instance):
    copy = tmp_path / "inst"
    copy.mkdir()
    (copy / "secret_key").write_bytes((instance / "secret_key").read_bytes())
    for command in (["audit", "verify"], ["migrate"], ["showmigrations"]):
        _one_line(kalkan(*command, "--data-dir", str(copy)), f"no database at {copy}")
    assert sorted(p.name for p in copy.iterdir()) == ["secret_key"]


def test_a_missing_data_dir_is_one_line_and_not_created(tmp_path):
    missing = tmp_path / "gone"
    _one_line(kalkan("audit", "verify", "--data-dir", str(missing)), "holds no Kalkan instance")
    assert not missing.exists()


def test_an_unreachable_database_url_is_one_line(tmp_path, instance):
    # Port 1 on this machine: nothing listens there, so the connection is refused at once.
    result = kalkan("audit", "verify", "--data-dir", str(instance),
                    env={"DATABASE_URL": "postgres://kalkan:hunter2@127.0.0.1:1/nowhere"})
    _one_line(result, "cannot reach the database in DATABASE_URL")
    assert "hunter2" not in result.stderr
