"""`kalkan demo`: fill a new instance with fictional staff and data (see kalkan/demo.py).

Only for a throw-away instance made by `kalkan demo`; serving is done by `kalkan serve`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kalkan.demo import build_demo


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        build_demo(self.stdout)
