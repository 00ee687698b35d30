"""Identifiers: Belgian NISS/INSZ and BIS, French NIR, INAMI/RIZIV, and codes after an ID label.

Patterns run on the folded text. Label words stay outside the spans.
"""

from __future__ import annotations

# Words naming an identifier ("N° patient :", "IPP", "Réf. :", "N° d'examen", "ID :"...).
LABEL_WORDS = (r"patient|patiente|ipp|ip|nda|pid|id|identifiant|identification|dossier|dossiers|sejour|admission"
               r"|episode|visite|venue|examen|exam|accession|acc|demande|requete|prescription|ordonnance|ref"
               r"|reference|niss|insz|inss|nn|rijksregisternummer|rijksregister|registre\s+national"
               r"|numero\s+national|n°\s+national|securite\s+sociale|secu|nir|mutuelle|affiliation|inami|riziv"
               r"|rpps|adeli|finess|facture|prelevement|echantillon|labo|code-barres?|matricule|contrat|eid"
               r"|carte\s+d'identite|passeport|immatriculation|patientnummer|dossiernummer|onderzoek|aanvraag"
               r"|keien|assure|beneficiaire|assurance\s+maladie|cnam|cpam|sis|cin")
NUMBER_WORD = r"(?:n°|nº|no\.?|nr\.?|num\.?|numero|#)"
LABEL_TAIL = (r"(?:\s+(?:du\s+|de\s+|d'|des\s+)?(?:l')?(?:patient|patiente|national|nationale|unique|interne|externe"
              r"|hospitalier|hospitaliere|medical|sejour|examen|dossier|demande|identification|ipp|nda|assure))*")
# A label that ends right where the identifier starts.
ID_LABEL = (rf"(?:\b{NUMBER_WORD}\s*(?:d'|de\s+|du\s+|d\s)?(?:l')?)?\b(?:{LABEL_WORDS})\b\.?{LABEL_TAIL}"
            rf"(?:\s*\((?:ipp|nda|pid|id|nn|niss)\))?\s*(?:{NUMBER_WORD})?\s*(?:[:#=]|\best(?:\s+le)?|\betant\s+le)?"
            rf"\s*(?:\(\s*)?")
# "N° :" alone.
BARE_NUMBER_LABEL = rf"\b{NUMBER_WORD}\s*[:#]\s*"
# A label at the end of a line's beginning (to look behind a candidate).
ID_LABEL_END = rf"(?:{ID_LABEL}|{BARE_NUMBER_LABEL})\Z"
# Words that make a label word something else ("date de l'examen", "type d'examen").
NOT_A_LABEL = (r"\b(?:date|heure|type|motif|objet|lieu|jour|resultat|compte|rendu|medecin|service)\b[^:\n]{0,24}"
               r"[:#=]?\s*(?:\(\s*)?\Z")

# An identifier code after a label: letters, digits and - . / _, with at least three digits.
CODE = r"(?=[a-z]{0,6}[-_/.]?\d)(?=(?:[a-z./_-]*\d){3})[a-z0-9][a-z0-9._/-]*[a-z0-9]"
CODE_BOXES = r"\d(?: \d){5,}"
CODE_GROUPS = r"\d{2,4}(?: \d{2,4}){1,5}(?![\w]|[./-]\d| \d)"

# Belgian national register number and BIS number: YY.MM.DD-XXX.CC and variants, 11 digits.
NISS = (r"(?<![\w.,/-]|\d\s)(?:\d{2}[.\s]?\d{2}[.\s]?\d{2}\s?[-.\s]\s?\d{3}[.\s-]?\d{2}"
        r"|\d{11})(?![\w]|[.,/-]\d|\s\d)")
NISS_FORMATTED = r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}"
# French social security number (NIR), 15 digits with its key or 13 without, possibly spaced.
NIR = (r"(?<![\w.,/-]|\d\s)[12]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2a|2b)\s?\d{3}\s?\d{3}"
       r"(?:\s?\d{2})?(?![\w]|[.,/-]\d|\s\d)")
# INAMI/RIZIV: 1-23456-78-901.
INAMI = r"(?<![\w.,/-])\d-\d{5}-\d{2}-\d{3}(?![\w]|[.,/-]\d)"
# Long numbers without a label: 8 to 20 digits, or spaced single digits (form boxes).
LONG_NUMBER = r"(?:(?<![\w.,/+-])[a-z]{1,4}-?|(?<![\w.,/+-]|\d\s))\d{8,20}(?![\w]|[.,/-]\d)"
# Social-security-like numbers in irregular digit groups: 13 or 15 digits in all ("2 127647 86182741").
GROUPED_NUMBER = r"(?<![\w.,/+-]|\d )[12378]\d{0,7}(?: \d{1,8}){1,7}(?![\w]|[.,/-]\d| \d)"
BOX_RUN = r"(?<!\d|\d )\d(?!\d)(?: \d(?!\d)){8,}"
