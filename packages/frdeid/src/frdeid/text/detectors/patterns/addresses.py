"""Street addresses and postal code + municipality, on the original text (capitals matter).

An address is two spans: the street part ("Rue de la Gare 12 bte 3", "12, rue des Prés",
"Kerkstraat 5 bus 2") and the postal part ("5000 Namur", "B-4000 Liège", "94010 Créteil Cedex").
"""

from __future__ import annotations

# Street types written before the name (French), case-insensitive.
STREET_TYPES = (r"rue|r\.|avenue|av\.?|avn\.?|ave\.?|chauss[ée]e|ch[ée]e\.?|boulevard|bd\.?|bld\.?|blvd\.?|place|pl\."
                r"|all[ée]e|chemin|ch\.|clos|route|rte\.?|square|sq\.|quai|sentier|impasse|imp\.|dr[èe]ve|rempart"
                r"|voie|cour|cours|galerie|passage|parvis|esplanade|venelle|ruelle|rond-point|faubourg|fbg\.?"
                r"|cit[ée]|hameau|lotissement|mont[ée]e|c[ôo]te|carrefour|promenade|quartier|r[ée]sidence|domaine"
                r"|sentier|piste|levée|lev[ée]e|stra(?:ss|ß)e|str\.")
# Types that are also common words ("mise en place", "voie veineuse"): they need a house number.
RISKY_TYPES = (r"place|pl\.|voie|cour|cours|route|rte\.?|passage|chemin|ch\.|galerie|quai|clos|square|sq\.|impasse"
               r"|imp\.|c[ôo]te|mont[ée]e|domaine|r[ée]sidence|quartier|piste|carrefour|promenade|cit[ée]"
               r"|lev[ée]e|hameau|parvis|esplanade|r\.")
# Dutch and German street words written as a suffix of the name: "Kerkstraat 5", "Leoboulevard 93".
DUTCH_SUFFIXES = (r"straat|laan|steenweg|plein|lei|dreef|baan|singel|pad|dijk|weg|kaai|markt|hof|park|veld|berg"
                  r"|wegel|vest|gracht|kade|boulevard|dries|heide|ring|steeg|dam|poort|kouter|vliet|akker|wijk|dal|bos|hoeve"
                  r"|gaarde|stede|hoek|stra(?:ss|ß)e|str\.|gasse|platz|allee")
PARTICLE = (r"(?:de|du|des|d['’]|la|le|les|l['’]|aux|au|sur|sous|en|lez|lès|les|van|von|der|den|ter|te|het"
            r"|op|am|an|zum|zur|dem|del|della|di|da|dos|das|y)")
CAP_WORD = r"(?:\p{Lu}[\p{L}'’.-]*\p{L}|\p{Lu}\.?|St\.?|Ste\.?|Ier|1er|\d{1,2}(?:\.|er|e)?(?=[ \t]+\p{Lu}))"
LOWER_WORD = r"(?:\p{Ll}[\p{L}'’-]*\p{L})"
# A street name after its type: capitalised words and particles (up to 7 tokens).
NAME_CAP = rf"(?:{PARTICLE}[ \t]+|{PARTICLE}(?<=['’]))*{CAP_WORD}(?:(?:[ \t]+|(?<=['’])|-)(?:{PARTICLE}[ \t]+)*{CAP_WORD}){{0,6}}"
# After a house number ("45 passage de ternes"), lower-case names are accepted too.
NAME_ANY = (rf"(?:{PARTICLE}[ \t]+|{PARTICLE}(?<=['’]))*(?:{CAP_WORD}|{LOWER_WORD})"
            rf"(?:(?:[ \t]+|(?<=['’])|-)(?:{PARTICLE}[ \t]+|{PARTICLE}(?<=['’]))*(?:{CAP_WORD}|{LOWER_WORD})){{0,5}}")
NUMBER_WORDS = r"(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt)"
HOUSE = r"\d{1,4}(?:-\d{1,4})?(?:[ \t]?(?:bis|ter|quater)\b|[A-Za-z](?![\p{L}\d]))?(?:/\d{1,3}[A-Za-z]?)?"
BOX = (r"(?:[ \t]*,?[ \t]*(?:bte|bt|bo[îi]te|bus|b|appt?|app\.|apt|appartement|[ée]tage|bloc|studio|STUDIO|APPT|BTE|BUS)\.?[ \t]*(?:n°[ \t]*)?"
       r"\d{1,4}[A-Za-z]?(?![\p{L}\d]))")
# The house number after the name must not be a postal code followed by its municipality.
HOUSE_AFTER = rf"(?:{HOUSE}){BOX}?(?!\d|[.,/]\d|[ \t]\d{{3}}\b)(?![ \t]+\p{{Lu}}\p{{Ll}}+\b(?![ \t]*\d))"
# A title before a type-first street means an initial, not a street ("Dr R. Custine").
NOT_AFTER_TITLE = r"(?<!\b(?:Dr|DR|Pr|PR|Docteur|Professeur|M|Mme|Mr|MM|Madame|Monsieur|Mlle)\.?[ \t]+)"

STREET_TYPE_FIRST = (rf"{NOT_AFTER_TITLE}(?<![\p{{L}}\d])(?P<type>(?i:{STREET_TYPES}))(?:(?<=\.)|(?![\p{{L}}\d]))[ \t]*(?P<name>{NAME_CAP})"
                     rf"(?:[ \t]*,?[ \t]*(?P<house>{HOUSE_AFTER}))?")
STREET_NUMBER_FIRST = (rf"(?<![\d.,/-]|\p{{L}}(?=\p{{L}}))(?P<house>{HOUSE}|{NUMBER_WORDS})[ \t]*,?[ \t]+(?P<type>(?i:{STREET_TYPES}))"
                       rf"(?:(?<=\.)|(?![\p{{L}}\d]))[ \t]*(?P<name>{NAME_ANY})(?P<box>{BOX})?")
STREET_DUTCH = (rf"(?<![\p{{L}}\d])(?P<name>(?:{CAP_WORD}[ \t-])?\p{{Lu}}[\p{{L}}'’-]*?\p{{Ll}}(?:{DUTCH_SUFFIXES})|\p{{Lu}}{{2,}}(?i:{DUTCH_SUFFIXES}))"
                rf"[ \t]*,?[ \t]*(?P<house>{HOUSE}){BOX}?(?![\p{{L}}\d])")
# A street written without a known street word, right before a postal part ("Birgitring, 36\n6750 ...").
STREET_BEFORE_POSTAL = (rf"(?<![\p{{L}}\d])(?P<street>{CAP_WORD}(?:[ \t-](?:{PARTICLE}[ \t]+)*{CAP_WORD}){{0,4}}[ \t]*,?[ \t]*"
                        rf"{HOUSE}{BOX}?)[ \t]*(?:[,–-][ \t]*|\n[ \t]*)\Z")
# Words that end a lower-case street name ("45 rue des roses à Namur").
NAME_STOP = (r"(?:à|au|aux|dans|chez|pour|avec|depuis|jusqu|tel|tél|fax|gsm|né|née|et|ou|où|qui|que"
             r"|est|sont|était|puis|pas|plus|ce|cette|son|sa|ses)")

# Postal part: a Belgian (4 digits) or French (5 digits) code and a capitalised municipality.
MUNICIPALITY_WORD = r"(?:\p{Lu}[\p{L}'’]*\p{L}|\p{Lu})"
NOT_CITY_WORD = (r"(?!(?:T[ée]l|TEL|TÉL|Fax|FAX|GSM|Gsm|E-?mail|Mail|Courriel|Site|Web|Belgique|BELGIQUE|France"
                 r"|FRANCE|Belgium|Tél\.|N°|Date|Dr|Docteur|Pr)\b)")
MUNICIPALITY = (rf"{MUNICIPALITY_WORD}(?:(?:-|-\n|[ \t]){NOT_CITY_WORD}(?:(?:sur|sous|lez|lès|les|le|la|en|de|du|des|aux|am|an"
                rf"|der|den|op|bij|s/)(?:[ \t]?-[ \t]?|[ \t]))?(?:d['’]|l['’])?{MUNICIPALITY_WORD}){{0,4}}"
                r"(?:[ \t]+(?:Cedex|CEDEX|cedex)(?:[ \t]+\d{1,2}(?!\d))?)?")
POSTAL = (rf"(?<![\w.,/:+-])(?:(?:B|F|L|D|NL|CH)\s?-\s?)?(?P<code>\d{{4,5}})(?![\d.,/:])[ \t]+"
          rf"(?P<city>{MUNICIPALITY})(?![\p{{L}}\d])")
# A postal code right after a street part: "Rue X 12, 5000 Namur", "rue Y, 33000, Bordeaux", "... 06000\nNice",
# "92 100 BOULOGNE", or the code alone ("7 rue Blaise Pascal 65000 dans la périphérie").
POSTAL_AFTER_STREET = (rf"[ \t]*[,–-]?[ \t]*(?:\n[ \t]*)?(?:(?:B|F|L|D|NL|CH)[ \t]?-[ \t]?)?"
                       rf"(?P<code>\d{{4,5}}|\d{{2}} \d{{3}})(?![\d.,/:]\d|\d)"
                       rf"(?:[ \t]*,?[ \t]*\n?[ \t]*(?P<city>{MUNICIPALITY})(?![\p{{L}}\d]))?")
# Capitalised words that are never a municipality right after a number.
NOT_MUNICIPALITY = {
    "le", "la", "les", "un", "une", "des", "du", "de", "il", "elle", "on", "nous", "je", "pas", "ce", "cette",
    "patient", "patiente", "patients", "examen", "date", "dr", "docteur", "pr", "professeur", "madame",
    "monsieur", "mme", "mr", "m", "conclusion", "protocole", "technique", "indication", "resultat",
    "resultats", "motif", "aucun", "aucune", "cher", "chere", "rx", "irm", "ct", "tdm", "scanner", "ui",
    "iu", "u", "mg", "kcal", "euro", "euros", "eur", "cas", "fax", "tel", "gsm", "email", "signe", "copie",
    "et", "ou", "en", "au", "aux", "par", "pour", "avec", "sans", "sur", "dans", "depuis", "apres", "avant",
    "mm", "cm", "ml", "kg", "g", "l", "h", "min", "sec", "ans", "mois", "jours", "semaines", "fois", "x",
    "cedex", "hopital", "clinique", "service", "unite", "chu", "chr", "nda", "ipp", "niss", "inami", "id",
    "n", "no", "ref", "total", "score", "grade", "stade", "type", "classe", "points", "pts", "mmhg", "bpm",
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
    "novembre", "decembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "ecg", "eeg", "emg", "pet", "spect", "echo", "echographie", "radiographie", "biologie", "fracture",
}
