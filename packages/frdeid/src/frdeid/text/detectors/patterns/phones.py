"""Phone and fax numbers: Belgian and French national forms, international forms, internal extensions.

`CHAIN` finds runs of digit groups in the text (with the letter O next to digits read as 0); the
detector then cuts each run into numbers whose digit count and grouping make a phone number.
"""

from __future__ import annotations

# Country codes written after + or 00 (the two-digit European ones, Luxembourg, North America).
COUNTRY = r"(?:352|32|33|31|49|41|44|39|34|1|[2-9]\d)"
PREFIX = rf"(?:\+\s?{COUNTRY}|00\s?{COUNTRY}(?=[\s(./-]))\s?(?:\(\s?0\s?\)\s?)?(?:[./-]\s?)?"
AREA = r"(?:\(\d{2,4}\)[ \t]?-?[ \t]?)"
GROUP_SEP = r"(?:\s?[./-]\s?|[ \t])"
CHAIN = rf"(?<![\d+./-]|\d,)(?:{PREFIX}|{AREA})?\d{{1,10}}(?:{GROUP_SEP}\d{{1,10}})*(?!\d)"
# Tokens of a chain: a country prefix, "(0)", an area code in parentheses, a digit group.
TOKEN = rf"(?P<cc>\+\s?{COUNTRY}|^00\s?{COUNTRY}(?=[\s(./-])|\(\s?3[23]\s?\)(?=\s?\d\s))|(?P<zero>\(\s?0\s?\))|(?P<area>\(\d{{2,4}}\))|(?P<digits>\d+)"
# Digit group lengths of national numbers (Belgium: 9 or 10 digits, France: 10).
NATIONAL_SHAPES = {
    (10,), (4, 2, 2, 2), (2, 2, 2, 2, 2), (4, 6), (3, 3, 2, 2), (2, 4, 4), (2, 2, 2, 4), (2, 2, 4, 2), (4, 3, 3), (3, 3, 4),
    (9,), (2, 3, 2, 2), (3, 2, 2, 2), (2, 7), (3, 6), (3, 3, 3),
}
# The letter O written for a zero inside a number (OCR, typing): "O1.42.15.93.30".
LETTER_O = r"O(?=\d)|(?<=\d)O|(?<=\d[.\s])O(?=[.\s]?\d)"
# Short internal numbers after a phone word: "bip 7339", "tél. 73389", "poste 4521" (folded text).
PHONE_CUE = (r"\b(?:tel|telephone|poste|bip|ext|extension|gsm|fax|joignables?\s+au|joindre\s+au"
             r"|appeler\s+(?:le|au)|au\s+poste|ligne\s+directe|ligne|standard|secretariat|beeper|pager)"
             r"\.?\s*(?:n°|:|\.)?\s*(?:au\s+|le\s+)?")
EXTENSION = rf"(?<={PHONE_CUE})\d{{3,5}}(?![\w]|[.,/-]\d|\s?\d)"
# A short or unusual number right after a phone word: "téléphone au 04 09 56 98".
CUED_PAIRS = rf"(?<={PHONE_CUE})0\d(?:[ .]\d\d){{1,4}}(?![\w]|[.,/-]\d|\s\d)"
# A North American number: (205)-136-2648.
NORTH_AMERICAN = r"(?<![\w])\(\d{3}\)[\s-]?\d{3}[\s.-]\d{4}(?![\w]|[.,/-]\d)"
