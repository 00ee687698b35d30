"""Where dates are: the date grammar of `frdeid.text.datetimes` with the context each form needs.

Every pattern runs on the folded text. A form that is a date wherever it stands (12/03/2021, 12 mars
2021) only gets boundaries; ambiguous forms (12/03, 2019, mars, 211017) need a cue word before them.
"""

from __future__ import annotations

from ...datetimes import DAY_NUM, FORMS, MONTH_FR, MONTH_FULL, MONTH_NUM, YEAR4, YEAR_WORDS

# Units and words after a number that make it a quantity, not a date part.
UNIT = (r"(?:mm|cm|dm|km|m|µm|mg|µg|mcg|g|kg|ml|cl|dl|l|ui|iu|u|meq|mmol|µmol|mol|mmhg|cmh2o|hz|mhz|kv|kev"
        r"|mas|ms|s|sec|min|h|j|jours?|sem|semaines?|mois|ans?|%|°|x|fois|cp|cps|comprimes?|gel(?:ule)?s?"
        r"|sachets?|ampoules?|doses?|gouttes?|patients?|cas|points?|pts?|e|eme|er|ere|ieme|bpm|cpm)")
UNIT_AFTER = rf"(?!\s*{UNIT}\b)(?!\s*[%°])"

# Left and right boundaries of numeric dates: not inside a word, a decimal number or a longer chain of
# digit groups (phone numbers, NISS, versions).
LEFT_NUM = r"(?<![\w+]|\d[./]\s?|\d[,|-]|\d\s[./]\s)"
RIGHT_NUM = r"(?!\d|[.,/|\-]\d|\s[./]\s?\d)"
# Spaced-digit dates: not inside a longer run of spaced digits.
LEFT_SPACED = r"(?<!\d|(?<!\d)\d |\d\s[./-]\s)"
RIGHT_SPACED = r"(?!\d| \d(?!\d)|\s[./-]\s\d)"
LEFT_WORD = r"(?<![\w])"
RIGHT_WORD = r"(?![a-z])"

# Words after which a partial date (12/03, 211017, 07 2002) is read as a date.
CUE_BEFORE = (r"(?:\ble|\bdu|\bau|\bdepuis(?:\s+le)?|\bjusqu'?\s?au|\bentre\s+le|\bet\s+le|\bavant\s+le|\bapres\s+le"
              r"|\bdes\s+le|\bvu\s+le|\brdv|\brendez-vous|\bdate|\bdates|\bfait\s+le|\bcontrole|\bdernier"
              r"|\bderniere|\bprochain|\bprochaine|\bc\d{1,2}|\bs\d{1,2}|\bd\d{1,2}|\bcycle\s+\d+|\bcure\s+\d+"
              r"|\bphase\s+\d+\s*-|\bsemaine\s+du|\bnuit\s+du|\bwe\s+du|\bweek-end\s+du)")
CUE_LOOKBEHIND = rf"(?<={CUE_BEFORE}\s*[:(]?\s*)"
# Scores, scales and ratios: a fraction after these is never a date.
SCORE_BEFORE = (r"(?<!\b(?:eva|en|vas|score|grade|stade|cotation|cote|cotee|force|echelle|niveau|note|ratio|rapport"
                r"|ta|pa|tension|fc|glasgow|apgar|nyha|asa|mrc|ecog|who|oms|vision|acuite|av|avl|avp|od|og"
                r"|odg|dilution|titre|taux|karnofsky|gleason|tnm|bi-rads|birads|lirads|pirads|tirads|kl"
                r"|kellgren|lawrence|ahlback|ficat|garden|neer|weber|salter|harris|gustilo|frankel|asia"
                r"|vas|nrs|eqd|moyen|sur|soit)\s*(?:de\s+|d'|du\s+)?[:=]?\s*(?:a\s+|à\s+)?)")
# Years alone: cue words before them.
YEAR_CUE = (r"(?:\ben|\bdepuis|\bannee|\bannees|\bl'an|\ban|\bvers|\bavant|\bapres|\bjusqu'?\s?en|\bjusqu'?\s?a"
            r"|\bfin|\bdebut|\bmi|\bcourant|\bprintemps|\bete|\bautomne|\bhiver|\bnoel|\bpaques|\bdatant\s+de"
            r"|\bdate\s+de|\bdepuis\s+l'an|\bcirca|\bdes\s+l'an|\bd'ici|\bpromotion|\bmillesime|\bne|\bnee"
            r"|\bnes|\bnees|\bdecede|\bdecedee|\bmort|\bmorte|\bdiagnostique|\bdiagnostiquee|\bopere|\bopere"
            r"|\boperee|\bpose|\bposee|\bdepiste|\bdepistee|\bsurvenu|\bsurvenue"
            # earlier exams: "les clichés de 2015", "la radiographie de 2017", "l'IRM de 2019"
            r"|\bcliches?\s+de|\bradiographies?\s+de|\brx\s+de|\birm\s+de|\bscanner\s+de|\bct\s+de"
            r"|\bexamens?\s+de|\bechographies?\s+de|\bbilan\s+de|\bcontrole\s+de|\bintervention\s+de)")
# Words before a date that make it a law or decree reference, not a person's date.
LEGAL_BEFORE = (r"\b(?:loi|decret|arrete|arrete\s+royal|ar|circulaire|directive|ordonnance|reglement)"
                r"(?:\s+n°?\s*[\w./-]+)?\s+du\s+(?:(?:\d{1,2}|1er)\s*)?$")
MONTH_WORD_RANGE_AFTER = rf"(?=\s*(?:-|–|a|au|et|jusqu'?\s?en|jusqu'?\s?a)\s*(?:\d{{1,2}}\s+)?(?:{MONTH_FR})\b)"
RANGE_AFTER_YEAR = rf"(?=\s*(?:-|–|a|au|et|ou)\s*(?:{YEAR4})\b)"
RANGE_BEFORE_YEAR = rf"(?<=\b(?:{YEAR4})\s*(?:-|–|a|au|et|ou)\s*)"

# name -> regex source (folded text). The names are those of the grammar forms they use.
DETECT: dict[str, str] = {
    "dmy": rf"(?=\d){LEFT_NUM}(?:{FORMS['dmy']}){RIGHT_NUM}",
    "dmy_space": rf"(?=\d){LEFT_SPACED}(?:{FORMS['dmy_space']}){RIGHT_SPACED}",
    "ymd": rf"{LEFT_NUM}(?:{FORMS['ymd']}){RIGHT_NUM}",
    "ymd_compact": rf"(?<![\w.,/-])(?:{FORMS['ymd_compact']})(?![\w]|[.,/-]\d)",
    "dmy_compact": rf"(?<![\w.,/-])(?:{FORMS['dmy_compact']})(?![\w]|[.,/-]\d)",
    "dmy_compact6": rf"(?=\d){CUE_LOOKBEHIND}(?<![\w.,/-])(?:{FORMS['dmy_compact6']})(?![\w]|[.,/-]\d)",
    "dmy_spaced": rf"{LEFT_SPACED}(?:{FORMS['dmy_spaced']}){RIGHT_SPACED}",
    "mdy_spaced": rf"{LEFT_SPACED}(?:{FORMS['mdy_spaced']}){RIGHT_SPACED}",
    "my": rf"(?=\d){SCORE_BEFORE}{LEFT_NUM}(?!1\s?/)(?:{FORMS['my']}){RIGHT_NUM}{UNIT_AFTER}",
    "my_space": rf"(?<=\ben\s+)(?:{FORMS['my_space']}){RIGHT_SPACED}{UNIT_AFTER}",
    # partial day/month: after a cue word, or with a zero-padded field outside score contexts
    "dm_cue": rf"(?=\d){CUE_LOOKBEHIND}{LEFT_NUM}(?:{FORMS['dm']}){RIGHT_NUM}(?!\s?/\s?\d)(?!\s\d\d\s\d\d){UNIT_AFTER}",
    "dm_padded": (rf"(?=\d){SCORE_BEFORE}{LEFT_NUM}(?=0[1-9]|\d{{1,2}}\s?/\s?0[1-9])(?:{FORMS['dm']})"
                  rf"{RIGHT_NUM}(?![\w])(?!\s?/\s?\d)(?!\s\d\d\s\d\d){UNIT_AFTER}"),
    "named": rf"(?<![\w])(?:{FORMS['named']}){RIGHT_NUM}",
    "named_words": rf"(?<![\w])(?:{FORMS['named_words']})(?![\w])",
    "named_dm": rf"(?<![\w])(?:{FORMS['named_dm']}){RIGHT_WORD}",
    "named_dm_glued": rf"(?<![\w])(?:{FORMS['named_dm_glued']})(?![a-z])",
    "named_dm_words": rf"(?<![\w])(?:{FORMS['named_dm_words']}){RIGHT_WORD}",
    "named_mdy": rf"(?<![\w])(?:{FORMS['named_mdy']}){RIGHT_NUM}",
    "named_my": rf"(?<![a-z])(?:{FORMS['named_my']}){RIGHT_NUM}{UNIT_AFTER}",
    "named_my2": rf"(?<![\w])(?:{FORMS['named_my2']}){RIGHT_NUM}(?![\w])(?!\s?[.,/:h]\s?\d){UNIT_AFTER}",
    "named_ym": rf"(?<![\w])(?:{FORMS['named_ym']}){RIGHT_WORD}",
    "words_dmy": rf"(?<![\w])(?:{FORMS['words_dmy']}){RIGHT_NUM}",
    "roman": rf"(?<![\w])(?:{FORMS['roman']})(?!\d){UNIT_AFTER}",
    # a month alone: after fin/début/en..., or as the first end of a range ("de mai à juin 2029")
    "month_cue": (rf"(?<=\b(?:fin|debut|mi|courant|en|depuis|mois\s+de|jusqu'?\s?en|jusqu'?\s?a|d'|de)[\s-]+)"
                  rf"(?P<month>{MONTH_FULL}){RIGHT_WORD}(?!\s*\d)(?!\s+(?:dernier|prochain))"),
    "month_range": rf"(?<![\w])(?P<month>{MONTH_FR}){RIGHT_WORD}{MONTH_WORD_RANGE_AFTER}",
    # a year alone: after a cue word, in parentheses, at the start of a list item, in a range
    # the first day of a range: "du 10 au 11 mars 2023", "les 18 et 19/01/2018"
    "day_range": (rf"(?=\d)(?<=\b(?:du|les|le|entre\s+le)\s+)(?P<day>{DAY_NUM})"
                  rf"(?=\s*(?:au|et|-|–)\s*(?:le\s+)?{DAY_NUM}\s*(?:[/.-]\s?\d|{MONTH_FR}))"),
    # "08-09/08/07": a range of days sharing month and year
    "dmy_day_range": rf"(?<=(?<![\w./-])\d{{1,2}}-)(?:{FORMS['dmy']}){RIGHT_NUM}",
    "day_range_dash": rf"(?<![\w./-])(?P<day>{DAY_NUM})(?=-{DAY_NUM}/{MONTH_NUM}/\d{{2,4}}(?!\d))",
    "year_cue": (rf"(?=\d)(?<={YEAR_CUE}[\s-]+(?:l'\s?|le\s+|la\s+)?(?:\(\s*)?)(?<![\w.,/])(?P<year>{YEAR4})"
                 rf"(?![\w]|[.,/-]\d){UNIT_AFTER}"),
    "year_paren": rf"(?<=\(\s?)(?P<year>{YEAR4})(?=\s?[),;])",  # "(2003)", "(2019, Dr Claes)"
    "year_item": (rf"(?=\d)(?<=(?:^|\n)[ \t]*(?:[-–•*o>]\s*)?(?:\(\s*)?|\s[-–•]\s|[:;][ \t]+)(?P<year>{YEAR4})\b"
                  rf"(?=\s*\)?\s*(?::|-|–)?\s*\p{{L}})(?!\s*{UNIT}\b)"),
    "year_range_first": rf"(?<![\w.,/-])(?P<year>{YEAR4}){RANGE_AFTER_YEAR}",
    "year_range_second": rf"{RANGE_BEFORE_YEAR}(?P<year>{YEAR4})(?![\w]|[.,/-]\d){UNIT_AFTER}",
    "year_words": rf"(?<=\b(?:en|depuis|annee|\()[\s(]*)(?P<year>{YEAR_WORDS})",
}

# Grammar form used to read each detection pattern's match.
FORM_OF: dict[str, str] = {
    "dm_cue": "dm", "dm_padded": "dm", "month_cue": "month", "month_range": "named_dm",
    # the first day of a range: "du 10 au 11 mars 2023", "les 18 et 19/01/2018"
    "day_range": (rf"(?<=\b(?:du|les|le|entre\s+le)\s+)(?P<day>{DAY_NUM})"
                  rf"(?=\s*(?:au|et|-|–)\s*(?:le\s+)?{DAY_NUM}\s*(?:[/.-]\s?\d|{MONTH_FR}))"),
    "year_cue": "year", "year_paren": "year", "year_item": "year", "year_range_first": "year",
    "year_range_second": "year",
}

# Runs of single digits separated by single spaces (digits written in the boxes of a form).
SPACED_RUN = r"(?<!\d|\d )\d(?!\d)(?: \d(?!\d)){6,}"

# Words before a date that start a weekday: "lundi 12 mars" keeps the weekday inside the span.
WEEKDAY_BEFORE = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche),?\s+$"
