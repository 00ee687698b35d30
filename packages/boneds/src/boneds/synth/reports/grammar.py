"""French articles, prepositions and agreement for body parts, bones and institution names.

Pure functions, no PHI: the writer puts the returned article or preposition before a span
("à l'" + "Athénée royal de Ciney"), so articles never enter INSTITUTION spans.
"""

from __future__ import annotations

_VOWELS = "aeiouyéèêëàâîïôöûüAEIOUYÉÈÊÀÂÎÔÛ"
_ASPIRATED = ("hanche", "haut", "hauban", "hernie", "Haute", "haute", "Home", "hôpitaux")  # no elision

# Gender of body part labels (anatomy.toml label_fr) and of the head nouns of bone names.
FEMININE = {
    "main", "épaule", "cheville", "hanche", "colonne", "jambe", "cuisse", "clavicule", "rotule", "extrémité",
    "styloïde", "taille", "base", "physe", "diaphyse", "tête", "région", "malléole", "branche", "aile",
    "phalange", "métaphyse", "épiphyse", "glène", "scapula", "omoplate", "tubérosité", "apophyse",
    "plaque", "vis", "prothèse", "broche",
}


def elides(word: str) -> bool:
    """Whether "le/la/de" elide before this word ("l'épaule", but "la hanche")."""
    return bool(word) and word[0] in _VOWELS + "hH" and not word.startswith(_ASPIRATED)


def head(noun_phrase: str) -> str:
    """The head noun of a phrase ("extrémité distale du radius" -> "extrémité")."""
    return noun_phrase.split()[0].split("-")[0].lower()


def is_feminine(noun_phrase: str) -> bool:
    """Grammatical gender of a noun phrase by its head noun (masculine by default)."""
    return head(noun_phrase) in FEMININE


def de(noun_phrase: str) -> str:
    """ "du poignet", "de la main", "de l'épaule"."""
    if elides(noun_phrase):
        return f"de l'{noun_phrase}"
    return f"de la {noun_phrase}" if is_feminine(noun_phrase) else f"du {noun_phrase}"


def le(noun_phrase: str) -> str:
    """ "le poignet", "la main", "l'épaule"."""
    if elides(noun_phrase):
        return f"l'{noun_phrase}"
    return f"la {noun_phrase}" if is_feminine(noun_phrase) else f"le {noun_phrase}"


def au(noun_phrase: str) -> str:
    """ "au poignet", "à la main", "à l'épaule"."""
    if elides(noun_phrase):
        return f"à l'{noun_phrase}"
    return f"à la {noun_phrase}" if is_feminine(noun_phrase) else f"au {noun_phrase}"


_ORDINALS = {"premier", "deuxième", "troisième", "quatrième", "cinquième", "second"}


def side_noun_feminine(noun_phrase: str) -> bool:
    """Gender of the noun a side adjective agrees with: the last complement of a bone name
    ("diaphyse du deuxième métatarsien" -> métatarsien, masculine; "malléole latérale" -> feminine)."""
    words = noun_phrase.replace("l'", "l' ").split()
    for i in range(len(words) - 1, 0, -1):
        if words[i - 1] in ("du", "la", "l'", "des") and (words[i - 1] != "la" or words[i - 2:i - 1] == ["de"]):
            rest = [w for w in words[i:] if w not in _ORDINALS]
            if words[i - 1] == "du":
                return False
            if words[i - 1] == "la":
                return True
            return bool(rest) and rest[0] in FEMININE
    return is_feminine(noun_phrase)


def side_adj(side: str, feminine: bool) -> str:
    """ "gauche", "droit", "droite" ("" for no side)."""
    if side == "L":
        return "gauche"
    if side == "R":
        return "droite" if feminine else "droit"
    return ""


# Institution names: which article the first word takes.
_INST_MASC = {"CHU", "CHR", "CHC", "CHIREC", "CPAS", "Collège", "Lycée", "Home", "Centre", "Cabinet", "Grand",
              "Garage", "CHwapi", "Jessa", "GZA", "AZ", "UZ", "Ziekenhuis", "Institut"}
_INST_FEM = {"Clinique", "Maison", "Résidence", "Haute", "Commune", "Polyclinique", "MRS", "Boulangerie",
             "Menuiserie", "Carrosserie", "Entreprise"}
_INST_PLURAL = {"Cliniques", "Hôpitaux"}
_INST_BARE = {"Vivalia", "Epicura"}
_EMPLOYER_CHEZ = {"Garage", "Boulangerie", "Menuiserie", "Carrosserie", "Entreprise"}


def inst_article(name: str) -> str:
    """The definite article an institution name takes: "le ", "la ", "l'", "les " or ""."""
    first = name.split()[0]
    if first in _INST_BARE:
        return ""
    if first in _INST_PLURAL:
        return "les "
    if elides(first) and first not in ("Home", "Haute"):
        return "l'"
    if first in _INST_FEM:
        return "la "
    if first in _INST_MASC or first.isupper():
        return "le "
    if "&" in name or name.endswith(("SPRL", "SRL", "Cie")):
        return ""
    return "le "


def inst_prep(name: str, prep: str, kind: str = "") -> str:
    """Preposition + article before an institution name: "au ", "à la ", "à l'", "aux ", "chez ", "du "..."""
    first = name.split()[0]
    if prep == "à" and kind == "employer" and (first in _EMPLOYER_CHEZ or "&" in name or name.endswith(("SRL", "SPRL"))):
        return "chez "
    article = inst_article(name)
    if prep == "à":
        return {"le ": "au ", "les ": "aux ", "la ": "à la ", "l'": "à l'", "": "à "}[article]
    if prep == "de":
        return {"le ": "du ", "les ": "des ", "la ": "de la ", "l'": "de l'", "": "de "}[article]
    return article
