"""Pseudonyms cannot be reversed with the roster, and the salt stays private (issue 9)."""

from __future__ import annotations

import argparse
import hashlib
import stat

import pandas as pd
import pytest

from courtstudy.commands.indicators import register
from courtstudy.report import pseudonym
from courtstudy.report.pseudonym import pseudonym_map, pseudonym_salt

ROSTER = ["王五", "张三", "李四", "赵六"]


@pytest.fixture
def salt_home(tmp_path, monkeypatch):
    monkeypatch.delenv("COURTSTUDY_PSEUDONYM_SALT", raising=False)
    monkeypatch.setenv("COURTSTUDY_HOME", str(tmp_path))
    return tmp_path / "data" / ".pseudonym_salt"


def test_the_salt_file_is_private_and_tightened(salt_home):
    salt = pseudonym_salt()
    assert salt_home.is_file() and len(salt) == 32
    assert stat.S_IMODE(salt_home.stat().st_mode) == 0o600
    assert pseudonym_salt() == salt                       # stable
    salt_home.chmod(0o644)                                # an old, world-readable salt file
    with pytest.warns(UserWarning, match="readable by other users"):
        assert pseudonym_salt() == salt
    assert stat.S_IMODE(salt_home.stat().st_mode) == 0o600


def test_no_alphabetical_code_and_no_unsalted_hash(salt_home):
    mapping = pseudonym_map(ROSTER)                       # no salt given: the installation's secret salt
    codes = [mapping[n] for n in sorted(ROSTER)]
    assert codes != [f"法官A0{i}" for i in range(1, 5)]
    # a reader holding the roster cannot rebuild the codes by hashing the names
    for name in ROSTER:
        for guess in (hashlib.sha256(name.encode()).hexdigest(), hashlib.sha256(f"|{name}".encode()).hexdigest()):
            assert mapping[name] != f"法官{guess[:6].upper()}"
    assert pseudonym_map(ROSTER, salt="a") != pseudonym_map(ROSTER, salt="b")
    assert pseudonym_map(["张三"], salt="a")["张三"] == pseudonym_map(ROSTER, salt="a")["张三"]


def test_indicators_pseudonymise_uses_the_secret_salt(salt_home, tmp_path, capsys):
    from test_indicators import fixture_cases

    data = tmp_path / "cases.parquet"
    fixture_cases().to_parquet(data)
    parser = argparse.ArgumentParser(prog="courtstudy")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["indicators", str(data), "--by", "judge", "--period", "year", "--pseudonymise",
                              "--as-of", "2024-03-31"])
    assert args.handler(args) == 0
    table = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    judges = set(fixture_cases()["judge"].dropna())
    from courtstudy.core.text import column_label

    shown = set(table[column_label("judge", "zh")].dropna())  # the command's default language is zh
    assert shown and not shown & judges
    assert shown == set(pseudonym_map(judges, salt=pseudonym_salt()).values())
    assert salt_home.is_file()


def test_salt_path_follows_the_project(salt_home):
    assert pseudonym.salt_path() == salt_home
