"""Text without its accents, as a person types a name they read with them: "Oğuz Yılmaz" ->
"Oguz Yilmaz". One spelling for the name lookups of `pv.analysis.identity_history` and the
sample generator's mail aliases. Imports nothing of provlytics; any layer may use it."""

from __future__ import annotations

import unicodedata

# Latin letters NFKD keeps whole (no accent to drop), as plain letters
UNMARKED = str.maketrans({
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
    "Ħ": "H", "ħ": "h", "Ŧ": "T", "ŧ": "t", "ı": "i", "ß": "ss",
    "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th",
})  # fmt: skip


def unaccented(text: str) -> str:
    """`text` without accents: NFKD with the combining marks dropped, and the letters it keeps
    whole (`UNMARKED`: Ł, Ø, Đ, Ð, Ħ, Ŧ, ı, ß, Æ, Œ, Þ) as plain ones: "Łukasz Ødegaard" ->
    "Lukasz Odegaard", "Yılmaz" -> "Yilmaz", "Ǿrn" -> "Orn". Case is kept; letters of other
    scripts are kept as they are."""
    decomposed = unicodedata.normalize("NFKD", text).translate(UNMARKED)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
