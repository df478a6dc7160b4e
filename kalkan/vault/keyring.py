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

    @property
    def current_epoch(self) -> int:
        return max(self.org_secrets)

    def org_secret(self, epoch: int) -> bytes:
        try:
            return self.org_secrets[epoch]
        except KeyError:
            raise PermissionError(f"no key for epoch {epoch}") from None

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "user": self.user_id,
                "staff": _b64(self.staff_secret) if self.staff_secret else None,
                "org": {str(e): _b64(k) for e, k in self.org_secrets.items()},
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Keyring:
        raw = json.loads(data)
        return cls(
            user_id=raw["user"],
            staff_secret=base64.b64decode(raw["staff"]) if raw["staff"] else None,
            org_secrets={int(e): base64.b64decode(k) for e, k in raw["org"].items()},
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
