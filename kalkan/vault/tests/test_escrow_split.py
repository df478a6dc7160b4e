"""The escrow secret split among trustees (SLIP-39, any k of n): `kalkan init` prints a sheet
per share, `kalkan recover` takes k of them typed as printed and names a mistyped word, and an
instance with a single escrow sheet can be split later (`kalkan escrow split`), which makes a
new escrow key so that the old sheet opens nothing."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import OutputWrapper

from kalkan.core.testing import cli_env, fresh_database, kalkan
from kalkan.vault import crypto
from kalkan.vault import services as vault
from kalkan.vault.escrow_shares import read_typed, secret_from_typed, split, write_sheets
from kalkan.vault.escrow_words import BadEscrowWords, show_escrow_secret, to_words
from kalkan.vault.tests.test_lifecycle import read_details, sealed_note


def sheets_of(printed: str) -> list[str]:
    """The numbered rows of each sheet, as a trustee copies them (headers left out)."""
    sheets = re.findall(r"==== KALKAN ESCROW SHARE .*?==== end of share \d+ ====", printed, re.S)
    return [
        "\n".join(line for line in sheet.splitlines() if re.match(r"\s*\d+\. ", line))
        for sheet in sheets
    ]


def as_a_person_types(rows: str, style: int) -> str:
    """The same words with the numbers, in another case, broken over other lines, with extra
    spaces."""
    tokens = rows.split()
    cased = [t.upper() if (i + style) % 3 == 0 else t.title() if i % 2 else t
             for i, t in enumerate(tokens)]
    lines = [" ".join(cased[i : i + 5 + style]) for i in range(0, len(cased), 5 + style)]
    return "\n".join("  " + line + "   " for line in lines) + "\n\n"


def printed_split(secret: bytes, threshold: int = 3, shares: int = 5) -> list[str]:
    out: list[str] = []

    class Sheet:
        def write(self, text: str) -> None:
            out.append(text)

    write_sheets(Sheet(), split(secret, threshold, shares), threshold, "ab12", pages=True)
    return sheets_of("".join(out))


def test_any_three_of_five_shares_typed_as_printed_give_the_secret_back():
    secret = crypto.random_key()
    sheets = printed_split(secret)
    assert len(sheets) == 5 and all(len(s.split()) == 66 for s in sheets)
    for style, chosen in enumerate(itertools.combinations(range(5), 3)):
        typed = "".join(as_a_person_types(sheets[i], style % 3) for i in chosen)
        assert secret_from_typed(typed) == secret
    # Typed without the numbers, all on one line, in any order: the same.
    bare = " ".join(w for i in (4, 1, 2) for w in sheets[i].split() if not w[0].isdigit())
    assert secret_from_typed(bare.upper()) == secret


def refusal(typed: str) -> str:
    with pytest.raises(BadEscrowWords) as refused:
        secret_from_typed(typed)
    return str(refused.value)


def test_two_shares_of_three_are_refused_clearly():
    sheets = printed_split(crypto.random_key())
    assert refusal(sheets[0] + "\n" + sheets[3]) == (
        "2 shares typed; this split needs 3: nothing was opened"
    )
    assert refusal(sheets[0] + "\n" + sheets[3] + "\n" + sheets[0]) == "share 3 is typed twice"


def test_a_mistyped_word_is_named_with_its_place_and_the_word_meant():
    sheets = printed_split(crypto.random_key())
    second = sheets[1].split()
    meant = second[2 * 9 + 1]  # word 10 of the second share (after its number "10.")
    assert second[2 * 9] == "10."
    typo = [*second]
    typo[2 * 9 + 1] = meant[:-1] + ("q" if meant[-1] != "q" else "x")
    typed = "\n".join([sheets[0], " ".join(typo), sheets[2]])
    assert refusal(typed) == (
        f"share 2, word 10: {typo[19]!r} is not a share word (did you mean {meant!r}?)"
    )
    # Another word of the list in its place: the checksum finds it, and the word meant.
    from shamir_mnemonic.wordlist import WORDLIST

    wrong = [*second]
    wrong[2 * 9 + 1] = WORDLIST[(WORDLIST.index(meant) + 7) % len(WORDLIST)]
    typed = "\n".join([sheets[0], " ".join(wrong), sheets[2]])
    assert refusal(typed) == f"share 2, word 10: {wrong[19]!r} is wrong (did you mean {meant!r}?)"
    # A row left out shows where.
    rows = sheets[2].splitlines()
    assert refusal("\n".join([sheets[0], sheets[1], *rows[:4], *rows[5:]])) == (
        "share 3: number 16 comes after 12 words: a word is missing or typed twice before it"
    )


def test_shares_of_two_different_splits_are_refused():
    secret = crypto.random_key()
    first, second = printed_split(secret), printed_split(secret)
    assert refusal("\n".join([first[0], first[1], second[2]])) == (
        "share 3 belongs to another split than share 1 (the shares of one split all begin "
        "with the same two words): use shares of one split only"
    )


def test_the_single_escrow_sheet_still_reads_typed_as_printed():
    secret = crypto.random_key()
    words = to_words(secret)
    printed = io.StringIO()
    show_escrow_secret(OutputWrapper(printed), " ".join(words))  # as `kalkan init` prints
    rows = "\n".join(line for line in printed.getvalue().splitlines()
                     if re.match(r"\s*\d+\. ", line))
    assert len(rows.split()) == 42
    assert secret_from_typed(as_a_person_types(rows, 1)) == secret
    assert "is not in the word list" in refusal(" ".join(["zzz", *words[1:]]))


# --- the command line ------------------------------------------------------------------------


def _run(args: list[str], typed: str, env: dict[str, str], **kwargs):
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", *args], input=typed, capture_output=True,
        text=True, env=cli_env(env), timeout=120, check=False, **kwargs,
    )


@pytest.mark.django_db(transaction=True)
def test_init_splits_and_recover_takes_three_shares_typed_as_printed(tmp_path: Path):
    data, database = tmp_path / "inst", fresh_database()
    with open(tmp_path / "sheets.txt", "w") as sheets_out:
        init = _run(
            ["init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
             "--escrow-shares", "5", "--escrow-threshold", "3",
             "--escrow-fd", str(sheets_out.fileno())],
            "", database, pass_fds=(sheets_out.fileno(),),
        )
    assert init.returncode == 0, init.stderr
    assert "ESCROW_WORDS" not in init.stdout and "ESCROW_SHARE" not in init.stdout
    printed = (tmp_path / "sheets.txt").read_text()
    assert printed.count("\f") == 4  # a page for each sheet
    fingerprint = dict(line.split("=", 1) for line in init.stdout.splitlines())[
        "ESCROW_FINGERPRINT"
    ]
    assert printed.count(f"Escrow key fingerprint: {fingerprint}") == 5
    sheets = sheets_of(printed)
    assert "Any 3 of the 5 shares open the vault" in printed

    assert kalkan("panic", "--yes", "--data-dir", str(data), env=database).returncode == 0
    too_few = _run(["recover", "--admin", "nadira", "--data-dir", str(data)],
                   sheets[0] + "\n" + sheets[4], database)
    assert too_few.returncode != 0
    assert "2 shares typed; this split needs 3: nothing was opened" in too_few.stderr
    typed = "".join(as_a_person_types(sheets[i], i % 3) for i in (4, 0, 2))
    good = _run(["recover", "--admin", "nadira", "--data-dir", str(data)], typed, database)
    assert good.returncode == 0, good.stderr
    assert "Recovered. Administrator: nadira" in good.stdout


def test_init_refuses_a_split_it_cannot_make(tmp_path: Path):
    for asked, said in (
        (["--escrow-shares", "5"], "a split needs both a number of shares and a threshold"),
        (["--escrow-shares", "3", "--escrow-threshold", "4"], "(asked: any 4 of 3)"),
        (["--escrow-shares", "3", "--escrow-threshold", "1"], "(asked: any 1 of 3)"),
    ):
        init = kalkan("init", "--data-dir", str(tmp_path / "inst"), "--admin", "amir",
                      "--non-interactive", "--show-escrow", *asked)
        assert init.returncode != 0 and said in init.stderr
        assert not (tmp_path / "inst" / "vault.json").exists()


@pytest.mark.django_db(transaction=True)
def test_a_single_sheet_instance_splits_later_and_the_old_sheet_stops_opening(tmp_path):
    data, database = tmp_path / "inst", fresh_database()
    init = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                  "--show-escrow", env=database)
    old_words = dict(line.split("=", 1) for line in init.stdout.splitlines())["ESCROW_WORDS"]
    split_args = ["escrow", "split", "--shares", "5", "--threshold", "3", "--data-dir", str(data)]

    nowhere = _run(split_args, old_words, database)
    assert nowhere.returncode != 0 and "--escrow-fd N" in nowhere.stderr
    resplit = _run([*split_args, "--show-escrow"], old_words, database)
    assert resplit.returncode == 0, resplit.stderr
    sheets = sheets_of(resplit.stdout)
    assert len(sheets) == 5
    assert "any 3 of these 5 shares give it back" in resplit.stdout

    # The old sheet now belongs to no key of this instance; three new shares do.
    typed = "\n".join(sheets[i] for i in (1, 3, 4))
    checked = _run(["escrow_fingerprint", "--data-dir", str(data)], typed, database)
    assert "They match the escrow key this server seals to." in checked.stdout, checked.stderr
    old = _run(["escrow_fingerprint", "--data-dir", str(data)], old_words, database)
    assert "do NOT match" in old.stderr

    # Split again, from three shares of the current split (a trustee has left).
    again = _run(["escrow", "split", "--shares", "4", "--threshold", "2", "--data-dir",
                  str(data), "--show-escrow"], typed, database)
    assert again.returncode == 0, again.stderr
    newest = sheets_of(again.stdout)
    assert len(newest) == 4

    assert kalkan("panic", "--yes", "--data-dir", str(data), env=database).returncode == 0
    stale = _run(["recover", "--admin", "nadira", "--data-dir", str(data)], typed, database)
    assert "belong to another Kalkan instance" in stale.stderr
    good = _run(["recover", "--admin", "nadira", "--data-dir", str(data)],
                newest[3] + "\n" + newest[0], database)
    assert good.returncode == 0, good.stderr
    assert kalkan("audit", "verify", "--data-dir", str(data), env=database).returncode == 0


@pytest.fixture
def own_data_dir(settings, tmp_path):
    """The pin (vault.json) of this test's own instance."""
    settings.DATA_DIR = tmp_path


def test_a_new_escrow_key_opens_every_epoch_and_compartment(own_data_dir, organisation, amir,
                                                           bota):
    from kalkan.accounts.services import disable_staff

    note = sealed_note("kept through the re-split")
    compartment = vault.new_compartment([amir.user], amir.keyring())
    disable_staff(bota.user, actor=amir.user, keyring=amir.keyring())  # a second epoch
    new_secret = vault.replace_escrow_key(organisation.escrow_secret)

    with pytest.raises(vault.BadEscrowSecret):
        vault.open_with_escrow(organisation.escrow_secret)
    keyring = vault.open_with_escrow(new_secret)
    assert set(keyring.org_secrets) == {1, 2}
    assert str(compartment.pk) in keyring.compartment_secrets
    assert read_details(note, keyring) == {"note": "kept through the re-split"}
    assert vault.escrow_fingerprint() == crypto.fingerprint(crypto.public_of(new_secret))
    # Epochs started after it are sealed to the new key too.
    vault.remove_staff_keys(amir.user, keyring)
    assert set(vault.open_with_escrow(new_secret).org_secrets) == {1, 2, 3}


def test_a_re_split_that_does_not_commit_leaves_the_old_key_in_force(own_data_dir, organisation,
                                                                     monkeypatch):
    from kalkan.vault import authentic

    pin = authentic.write_pin

    calls: list[bytes] = []

    def pinned_then_the_commit_fails(public_key: bytes, epoch: int) -> None:
        pin(public_key, epoch)
        calls.append(public_key)
        if len(calls) == 1:
            raise OSError("disk full")

    monkeypatch.setattr(authentic, "write_pin", pinned_then_the_commit_fails)
    with pytest.raises(OSError):
        vault.replace_escrow_key(organisation.escrow_secret)
    assert len(calls) == 2  # the new key, then the old one back
    assert set(vault.open_with_escrow(organisation.escrow_secret).org_secrets) == {1}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_an_empty_line_ends_the_input_only_when_it_is_whole():
    secret = crypto.random_key()
    sheets = printed_split(secret)
    first_rows = sheets[0].splitlines()
    # An empty line inside a share or between shares is a pause; the one after the third
    # share (this split needs three) ends it.
    typing = "\n".join(first_rows[:5]) + "\n\n" + "\n".join(first_rows[5:]) + "\n"
    typing += "\n" + sheets[2] + "\n\n" + sheets[3] + "\n\nnot read\n"
    prompt = io.StringIO()
    typed = read_typed(Terminal(typing), prompt)
    assert "an empty line when done" in prompt.getvalue()
    assert "not read" not in typed
    assert secret_from_typed(typed) == secret
