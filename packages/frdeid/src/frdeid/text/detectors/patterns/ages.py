"""Ages ("45 ans", "45a", "3 ans et 2 mois", "18 mois", "5a6m") and the contexts that tell an age from
a duration ("depuis 3 ans", "il y a 2 ans", "pendant 6 mois"). Folded text."""

from __future__ import annotations

from ...datetimes import NUMWORDS

NUM = r"(?<![\d.,/:-]|\d\s)(?P<n>1[0-2]\d|\d{1,2})(?![\d]|[.,]\d)"
# Candidate age expressions by kind; the number of years (or months, weeks, days) is group n.
FORMS: dict[str, str] = {
    "years": (rf"{NUM}\s?(?:ans?|years?|yrs?)\b(?:[-\s]?old\b)?"
              r"(?:,?\s*(?:et\s+)?(?:\d{1,2}|un)\s?mois\b|\s(?:\d{1,2})\s?m\b)?"),
    "english": rf"{NUM}[-\s]?(?:year|yr)s?[-\s]old\b|{NUM}-years?\b|{NUM}\s?(?:yo|y/o|y\.o\.)(?![\w])",
    "short": rf"{NUM}\s?a(?:\s?\d{{1,2}}\s?m)?(?![\w])",
    "months": rf"{NUM}\s?mois\b(?:,?\s*(?:et\s+)?\d{{1,2}}\s?(?:jours?|j|semaines?|sem)\b)?",
    "weeks": rf"{NUM}\s?(?:semaines?|sem\b\.?)",
    "days": rf"{NUM}\s?jours?\b",
    "words": rf"(?<![\w])(?P<w>{NUMWORDS})\s+ans?\b",
}
# Before the number: an age word or a person noun with "de" ("âgé de", "patient de", "Âge :").
PERSON_NOUN = (r"(?:patient|patiente|homme|femme|dame|monsieur|madame|enfant|fille|fillette|garcon|garconnet"
               r"|fils|nourrisson|bebe|nouveau-ne|nouveau-nee|nne|adolescent|adolescente|ado|jeune|sujet"
               r"|individu|frere|soeur|mere|pere|epoux|epouse|mari|petit|petite|bambin|personne|monsieur|mr|mme"
               r"|cousin|cousine|oncle|tante|grand-pere|grand-mere|neveu|niece|enfants)")
AGE_CUE = (rf"(?:\bage\b(?!\s+(?:gestationnel|de\s+(?:la|l'|du|des)\b))[^.\n;]{{0,40}}"
           rf"|\bagee?s?\s+(?:de\s+|d')?(?:environ\s+|pres\s+de\s+|plus\s+de\s+)?"
           rf"|\b{PERSON_NOUN}s?\s+(?:agee?s?\s+)?(?:de\s+|d')(?:environ\s+)?(?:\w+\s+)?"
           rf"|\ba\s+l'age\s+de\s+|\bdes\s+l'age\s+de\s+)\Z")
# Before the number: words that make "N ans" a duration.
DURATION_BEFORE = (r"(?:\b(?:depuis|dans|pendant|durant|apres|sur|pour|chaque|ces|les|derniers|dernieres"
                   r"|prochains|prochaines|premiers|premieres|quelques|plusieurs|jusqu'a|jusqu'au|entre|en"
                   r"|des|par|sous|tous|toutes|env|environ|x|et|ou|recul|suivi|evolution|delai|duree|periode"
                   r"|intervalle|bout\s+de|cours\s+de|cours\s+des|ici|plus\s+de|moins\s+de|pres\s+de|de|d'|y\s+a"
                   r"|il\s+y\s+a|voici|voila|depuis\s+plus\s+de|a\s+partir\s+de)|[-+/x]|\d)\s*\Z")
# After the expression: words that make it a duration.
DURATION_AFTER = (r"\s*(?:plus\s+tard|plus\s+tot|apres|auparavant|avant|post|de\s+(?!age)|d'(?!age)|-\s*\d|a\s+\d"
                  r"|ferme|consecutifs|d'affilee|environ|passes|passees|precedents|precedentes|suivants"
                  r"|suivantes|derniers|dernieres|auparavant|plus\s+tot|sous\s+|de\s+suite)")
# Before a short form ("3a"): classification words make it a grade or a type, not an age.
CLASSIFICATION_BEFORE = (r"\b(?:grade|stade|type|classe|classification|lesion|weber|salter|harris|garden|neer"
                         r"|gustilo|frankel|asia|hawkins|schatzker|ao|mason|pauwels|letournel|tile|denis|nyha"
                         r"|gold|child|tnm|t|n|m|niveau|score|phase|zone|segment|cycle|c|s|d|l)\s*\Z")
# The short forms stand between punctuation: "(84a)", ", 97a,", "Âge : 61a".
SHORT_BEFORE = r"(?:[(,:–-]|\(°[^)\n]{0,20},)\s*\Z"
SHORT_AFTER = r"\s*(?:[,);.–\n]|\Z)"
