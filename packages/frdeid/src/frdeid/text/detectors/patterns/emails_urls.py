"""E-mail addresses and web addresses (original text; trailing punctuation stays outside)."""

from __future__ import annotations

# Top-level domains accepted without "www." or a scheme, or right after "@" without a dot.
TLDS = (r"be|fr|com|org|net|eu|nl|lu|de|ch|uk|it|es|info|io|gov|edu|int|health|care|ovh|biz|ca|us|co|ma|dz|tn"
        r"|na|st|gouv\.fr|ac\.be")
LOCAL = r"[\w!#$%&'*+=?^`{|}~-]+(?:\.[\w!#$%&'*+=?^`{|}~-]+)*"
# The top-level domain is lower- or upper-case: in "x@y.frSmith" the glued name is not part of it.
TLD = r"(?:\p{Ll}{2,24}(?!\p{Ll})|\p{Lu}{2,24}(?!\p{L}))"
DOMAIN = rf"[\w](?:[\w-]*[\w])?(?:\.[\w](?:[\w-]*[\w])?)*\.{TLD}"
# A local part glued after a word in capitals ("ARNOULDarnould@...") starts at the lower-case letters.
EMAIL = (rf"(?:(?<=\p{{Lu}}{{2}})(?=\p{{Ll}})|(?<![\w.@-])(?!\p{{Lu}}{{2,}}\p{{Ll}})){LOCAL}@(?:{DOMAIN}|(?:{TLDS}))"
         rf"(?![\p{{Ll}}\d_@-]|\.[\w-])")
# Written with spaces around @ and the dot: "tlabelle @ medimail . com".
EMAIL_SPACED = rf"(?<![\w.@-]){LOCAL} @ [\w-]+(?: ?\. ?[\w-]+)* ?\. ?(?:{TLDS})\b"
# URL body characters; the last one may not be punctuation that ends a sentence.
URL_BODY = r"[^\s<>\"'()\[\]{}]*[^\s<>\"'()\[\]{}.,;:!?]"
URL = (rf"(?:\b(?:https?|ftp)://{URL_BODY}|\bwww\.[\w-]+(?:\.[\w-]+)+(?:[/?#]{URL_BODY})?"
       rf"|(?<![\w.@/-])[a-z0-9](?:[\w-]*[a-z0-9])?(?:\.[a-z0-9](?:[\w-]*[a-z0-9])?)*\.(?:{TLDS})\b(?![\w@-]|\.\w)"
       rf"(?:/{URL_BODY})?)")
