"""`kalkan init` shows the escrow words on a terminal, and in a script only where asked: a
log of a scripted install never holds the one secret that opens everything."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

from kalkan.core.testing import cli_env, kalkan
from kalkan.vault.escrow_words import from_words

WORDS = re.compile(r"\b[a-z]+(?:-[a-z]+)?(?: [a-z]+(?:-[a-z]+)?){20}\b")


def test_a_scripted_init_refuses_rather_than_print_the_words_to_a_log(tmp_path):
    for extra in (["--non-interactive"], []):  # a script, or a terminal session piped to a file
        data = tmp_path / f"inst{len(extra)}"
        result = kalkan("init", "--data-dir", str(data), "--admin", "amir", *extra)
        assert result.returncode != 0
        assert "--escrow-fd N" in result.stderr and "--show-escrow" in result.stderr
        assert "ESCROW" not in result.stdout and not WORDS.search(result.stdout)
        assert not data.exists() or not any(data.iterdir())  # nothing half-made


def test_the_words_go_to_the_file_descriptor_asked_for_and_nowhere_else(tmp_path):
    data = tmp_path / "inst"
    read_end, write_end = os.pipe()
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", "init", "--data-dir", str(data), "--admin", "amir",
         "--non-interactive", "--escrow-fd", str(write_end)],
        capture_output=True, text=True, env=cli_env(), timeout=120, check=False,
        pass_fds=(write_end,),
    )
    os.close(write_end)
    with os.fdopen(read_end) as source:
        words = source.read().strip()
    assert result.returncode == 0, result.stderr
    assert len(from_words(words)) == 32  # the real escrow secret, check word and all
    assert "ESCROW_WORDS" not in result.stdout  # the fingerprint is no secret
    for word in words.split():
        assert f" {word} " not in f" {result.stdout} "
    assert "PASSPHRASE=" in result.stdout  # the rest of the scripted output as before


def test_on_a_terminal_the_words_are_shown_once_as_before(tmp_path):
    data = tmp_path / "inst"
    main, terminal = pty.openpty()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", "init", "--data-dir", str(data), "--admin", "amir"],
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=subprocess.PIPE, env=cli_env(),
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            piece = os.read(main, 65536)
        except OSError:  # the terminal closed: the command has finished
            break
        if not piece:
            break
        shown += piece
    assert process.wait(timeout=120) == 0
    os.close(main)
    text = shown.decode()
    assert "ESCROW SECRET - shown only now" in text
    assert "Scan this code" in text
