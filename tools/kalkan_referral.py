#!/usr/bin/env python3
"""Open Kalkan referral packages, without any Kalkan server. Needs only PyNaCl.

    python3 kalkan_referral.py keygen [--out FILE]          make your key pair (once)
    python3 kalkan_referral.py fingerprint --key FILE       show your key's fingerprint again
    python3 kalkan_referral.py open --key FILE PACKAGE      print what a package holds
                                                            (its SHA-256 goes to stderr)

`keygen` writes your SECRET key to FILE (readable only by you) and prints your PUBLIC key:
send the public key to the organisation that refers people to you, and read the
fingerprint to them by phone or Signal so both sides know it arrived unchanged. Never send
the secret key file anywhere. Whoever holds it can read every package made for you.

A package (referral-YYYY-MM-DD.kalkan) is a libsodium sealed box to your public key,
holding JSON in the format "kalkan-referral/1". See docs/referrals.md in Kalkan.

Install PyNaCl with:  python3 -m pip install pynacl
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType

FORMAT = "kalkan-referral/1"
DEFAULT_KEY_FILE = "kalkan-referral.key"
HEADER = "# Kalkan referral SECRET key. Keep it private; never send it to anyone.\n"


def fingerprint(public_key: bytes) -> str:
    """The first 128 bits of the key's SHA-256, in groups of four hex digits (Kalkan shows
    the same on its partners page)."""
    digest = hashlib.sha256(public_key).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def key_file_text(secret_key: bytes, public_key: bytes) -> str:
    return (
        HEADER
        + f"# public key: {base64.b64encode(public_key).decode('ascii')}\n"
        + f"# fingerprint: {fingerprint(public_key)}\n"
        + base64.b64encode(secret_key).decode("ascii")
        + "\n"
    )


def write_key_file(path: Path, text: str) -> None:
    """Create the file readable and writable only by its owner (0600); never overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)
    os.chmod(path, 0o600)  # whatever the umask said


def read_secret_key(path: Path) -> bytes:
    lines = [
        line.strip()
        for line in path.read_text(encoding="ascii").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if len(lines) != 1:
        raise ValueError(f"{path} is not a Kalkan referral key file")
    try:
        secret = base64.b64decode(lines[0], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{path} is not a Kalkan referral key file") from None
    if len(secret) != 32:
        raise ValueError(f"{path} is not a Kalkan referral key file")
    return secret


def _nacl() -> ModuleType:
    try:
        import nacl.exceptions
        import nacl.public
    except ImportError:
        sys.exit("kalkan_referral: PyNaCl is missing. Install it: python3 -m pip install pynacl")
    return nacl


def keygen(out: Path) -> int:
    nacl = _nacl()
    if out.exists():
        print(f"kalkan_referral: {out} exists already; not overwriting a key.", file=sys.stderr)
        return 1
    secret = nacl.public.PrivateKey.generate()
    public = bytes(secret.public_key)
    write_key_file(out, key_file_text(bytes(secret), public))
    print(f"Your secret key is in {out} (only you can read it). Keep it; back it up offline.")
    print("Send this PUBLIC key to the organisation:")
    print()
    print(f"    {base64.b64encode(public).decode('ascii')}")
    print()
    print("Then read this fingerprint to them by phone or Signal; they must see the same:")
    print()
    print(f"    {fingerprint(public)}")
    return 0


def show_fingerprint(key: Path) -> int:
    nacl = _nacl()
    secret = nacl.public.PrivateKey(read_secret_key(key))
    public = bytes(secret.public_key)
    print(f"public key:  {base64.b64encode(public).decode('ascii')}")
    print(f"fingerprint: {fingerprint(public)}")
    return 0


def open_package(key: Path, package: Path) -> int:
    nacl = _nacl()
    box = nacl.public.SealedBox(nacl.public.PrivateKey(read_secret_key(key)))
    blob = package.read_bytes()
    try:
        plain = box.decrypt(blob)
    except nacl.exceptions.CryptoError:
        print(
            "kalkan_referral: this package does not open with this key (made for another "
            "key, or damaged in transit).",
            file=sys.stderr,
        )
        return 1
    data = json.loads(plain.decode("utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        print("kalkan_referral: not a Kalkan referral package.", file=sys.stderr)
        return 1
    print(json.dumps(data, ensure_ascii=False, indent=2))
    # On stderr, so that stdout stays plain JSON: the organisation's page shows the same
    # digest for each package it made.
    print(f"package SHA-256: {hashlib.sha256(blob).hexdigest()}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kalkan_referral.py", description="Open Kalkan referral packages."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("keygen", help="make your key pair")
    make.add_argument("--out", type=Path, default=Path(DEFAULT_KEY_FILE),
                      help=f"where to write the secret key (default {DEFAULT_KEY_FILE})")
    show = commands.add_parser("fingerprint", help="show your public key and its fingerprint")
    show.add_argument("--key", type=Path, required=True, help="your secret key file")
    read = commands.add_parser("open", help="print what a package holds")
    read.add_argument("--key", type=Path, required=True, help="your secret key file")
    read.add_argument("package", type=Path, help="the .kalkan file")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            return keygen(args.out)
        if args.command == "fingerprint":
            return show_fingerprint(args.key)
        return open_package(args.key, args.package)
    except (OSError, ValueError) as e:
        print(f"kalkan_referral: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
