"""Replacement of detected PHI spans (never detection): surrogates of the same kind and form derived
from the secret key, shifted dates, kept or bucketed ages, placeholders, as the `[replace]` table of
the pipeline config says."""

from .policy import PLACEHOLDERS, ReplacePolicy, placeholder
from .pools import Lexicons
from .replacer import Replacer

__all__ = ["PLACEHOLDERS", "Lexicons", "ReplacePolicy", "Replacer", "placeholder"]
