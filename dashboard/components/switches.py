"""The server's on/off settings from the environment (``CAIXIN_PRELOAD``, ``CAIXIN_MALLOC_TUNING``): on
unless set to 0, false, no or off, in any case. Light on purpose: ``dashboard/app.py`` reads one before
pandas or core is imported."""

from __future__ import annotations

import os

OFF = ("0", "false", "no", "off")


def switched_on(name: str) -> bool:
    """Whether the setting ``name`` is on (it is when unset)."""
    return os.environ.get(name, "1").strip().lower() not in OFF
