"""A person's unlocked keys, held in memory for one request (and, encrypted, in the session)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field


@dataclass
class Keyring:
    user_id: int | None
    staff_secret: bytes | None
    org_secrets: dict[int, bytes] = field(default_factory=dict)
    # Restricted compartments the person is a member of: compartment id -> secret.
    compartment_secrets: dict[str, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Which keys, never the keys: a keyring in a log or a traceback opens nothing.
        return (f"Keyring(user_id={self.user_id!r}, staff_secret="
                f"{'<held>' if self.staff_secret else None}, epochs={sorted(self.org_secrets)}, "
                f"compartments={len(self.compartment_secrets)})")

    @property
    def current_epoch(self) -> int:
        return max(self.org_secrets)

    def org_secret(self, epoch: int) -> bytes:
        try:
            return self.org_secrets[epoch]
        except KeyError:
            raise PermissionError(f"no key for epoch {epoch}") from None

    def compartment_secret(self, compartment_id: object) -> bytes:
        try:
            return self.compartment_secrets[str(compartment_id)]
        except KeyError:
            raise PermissionError("not a member of this compartment") from None

    def without_compartments(self) -> Keyring:
        return Keyring(self.user_id, self.staff_secret, dict(self.org_secrets))

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "user": self.user_id,
                "staff": _b64(self.staff_secret) if self.staff_secret else None,
                "org": {str(e): _b64(k) for e, k in self.org_secrets.items()},
                "compartments": {c: _b64(k) for c, k in self.compartment_secrets.items()},
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keyring:
        raw = json.loads(data)
        return cls(
            user_id=raw["user"],
            staff_secret=base64.b64decode(raw["staff"]) if raw["staff"] else None,
            org_secrets={int(e): base64.b64decode(k) for e, k in raw["org"].items()},
            compartment_secrets={
                c: base64.b64decode(k) for c, k in raw.get("compartments", {}).items()
            },
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
