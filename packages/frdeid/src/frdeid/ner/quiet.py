"""Keep flair from logging text: at INFO it prints the corpus vocabulary and sample sentences,
which hold patient names. Call after (or instead of) importing flair: flair resets its logger
level when first imported."""

from __future__ import annotations

import logging


def quiet_flair() -> None:
    """Import flair's logging set-up, then raise its logger to WARNING."""
    import flair  # noqa: F401  (its import configures the "flair" logger)

    logging.getLogger("flair").setLevel(logging.WARNING)
