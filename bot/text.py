"""Text normalisation shared by the NLU components and the channels."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip accents (está → esta, ñ → n) and squeeze white space.

    People type on phones without accents; matching on folded text lets one keyword
    or pattern cover both spellings. Offsets are kept for precomposed characters.
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped)
