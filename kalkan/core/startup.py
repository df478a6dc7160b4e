"""What a serving process prepares before people need it, in a thread of its own, so the
first person to open a draft does not wait seconds for a model to load (issue: Speed).

Core never imports the apps above it: they add their preparations in their AppConfig.ready,
and `kalkan serve` runs them once it listens. A preparation that fails is logged and left to
the first request, which would have done it anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

AT_SERVE_START: list[Callable[[], None]] = []


def at_serve_start(prepare: Callable[[], None]) -> None:
    if prepare not in AT_SERVE_START:
        AT_SERVE_START.append(prepare)


def prepare_all() -> None:
    for prepare in AT_SERVE_START:
        try:
            prepare()
        except Exception:  # noqa: BLE001 (the first request will try again)
            logger.exception("preparing %s at start failed", prepare.__qualname__)


def prepare_in_background() -> threading.Thread:
    thread = threading.Thread(target=prepare_all, name="kalkan-prepare", daemon=True)
    thread.start()
    return thread
