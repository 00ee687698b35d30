"""Common, non-identifying vocabulary that surrogate addresses and institutions are built from:
street types and names found in every Belgian town, Dutch street suffixes, French cities."""

from __future__ import annotations

# French street types (folded, without the abbreviation dot): kept as written in the original.
STREET_TYPES = frozenset({
    "rue", "r", "avenue", "av", "ave", "boulevard", "bd", "bld", "bvd", "chaussee", "chee", "ch", "place", "pl",
    "quai", "square", "sq", "allee", "chemin", "route", "rte", "impasse", "imp", "clos", "dreve", "sentier",
    "venelle", "rempart", "remparts", "galerie", "passage", "cours", "parvis", "rond-point", "voie", "cite",
    "ruelle", "esplanade", "promenade", "thier", "tienne", "ry", "rang", "residence", "faubourg", "fbg",
})
# Street names that exist in most Belgian French-speaking towns (connector included).
STREET_NAMES = (
    "de la Gare", "du Moulin", "de l'Église", "des Écoles", "du Centre", "des Champs", "de la Station", "du Parc",
    "des Tilleuls", "des Peupliers", "des Acacias", "du Bois", "de la Chapelle", "du Calvaire", "des Fleurs",
    "de la Fontaine", "du Marché", "des Prés", "de la Croix", "du Pont", "de la Source", "des Alouettes",
    "des Coquelicots", "du Stade", "de la Liberté", "de la Paix", "des Mimosas", "des Hêtres", "des Chênes",
    "de la Vallée", "du Château", "des Jardins", "de la Carrière", "du Cimetière", "des Vergers", "du Village",
    "des Combattants", "de la Poste", "du Tram", "des Saules", "des Bouleaux", "de l'Industrie", "du Commerce",
    "des Rosiers", "du Ruisseau", "de la Ferme", "des Cerisiers", "de la Forge", "du Noyer", "des Sorbiers",
    "Albert Ier", "Léopold II", "Reine Astrid", "Roi Baudouin", "Émile Vandervelde", "Jules Destrée",
    "Général Jacques", "Victor Hugo", "Paul Janson", "Joseph Wauters", "Reine Élisabeth", "Saint-Martin",
    "Saint-Roch", "Notre-Dame", "Sainte-Anne",
)
FRENCH_STREET_TYPES = ("Rue", "Rue", "Rue", "Avenue", "Chaussée", "Place", "Chemin", "Boulevard", "Allée", "Clos")
# Dutch street names are one word: a stem and one of these suffixes (longest first).
DUTCH_SUFFIXES = tuple(sorted((
    "straat", "straatje", "laan", "baan", "steenweg", "weg", "plein", "lei", "dreef", "kaai", "markt", "hof",
    "pad", "singel", "vest", "wegel", "dijk", "veld", "kouter", "dam", "gracht", "plaats", "park", "ring",
    "berg", "heide", "gaarde", "meers",
), key=len, reverse=True))
DUTCH_STEMS = (
    "Kerk", "Molen", "Stations", "School", "Dorps", "Beek", "Linden", "Kapel", "Veld", "Berken", "Eiken", "Nieuw",
    "Oude", "Hoog", "Klooster", "Bos", "Brug", "Akker", "Zand", "Water", "Meulen", "Vijver", "Heide", "Populieren",
    "Kastanje", "Tuin", "Lelie", "Rozen", "Pastorij", "Gasthuis", "Smids", "Koning Albert", "Sint-Jans", "Leeuw",
    "Kruis", "Hof", "Meers", "Wilgen", "Appel", "Groene",
)
# Box markers of Belgian addresses ("12 bte 3", "12 bus 3", "12/3").
BOX_MARKERS = frozenset({"bte", "bt", "boite", "bus", "b"})
# Written after a house number and kept: "12bis", "12 ter".
HOUSE_SUFFIXES = frozenset({"bis", "ter", "quater"})
# French cities near the border and large ones, with their département, for 5-digit postcodes.
FRENCH_CITIES = (
    ("59", "Lille"), ("59", "Roubaix"), ("59", "Tourcoing"), ("59", "Maubeuge"), ("59", "Valenciennes"),
    ("59", "Dunkerque"), ("59", "Douai"), ("62", "Arras"), ("62", "Lens"), ("62", "Calais"), ("02", "Saint-Quentin"),
    ("08", "Charleville-Mézières"), ("08", "Sedan"), ("08", "Givet"), ("51", "Reims"), ("54", "Longwy"),
    ("57", "Metz"), ("54", "Nancy"), ("75", "Paris"), ("69", "Lyon"), ("13", "Marseille"), ("33", "Bordeaux"),
    ("31", "Toulouse"), ("67", "Strasbourg"), ("44", "Nantes"), ("35", "Rennes"), ("06", "Nice"), ("80", "Amiens"),
    ("76", "Rouen"), ("21", "Dijon"),
)

# Words that name the kind of an institution. Hospital kinds take a hospital of the same kind from the
# lexicon when there is one; others keep their kind and get a surrogate proper name.
HOSPITAL_KINDS = frozenset({"chu", "chr", "chc", "az", "uz", "hopital", "hopitaux",
                            "clinique", "cliniques", "polyclinique", "ziekenhuis", "kliniek", "hospital",
                            "centre", "grand"})
INSTITUTION_KINDS = frozenset({
    "ecole", "athenee", "lycee", "college", "institut", "universite", "haute", "academie", "garage",
    "residence", "maison", "home", "cabinet", "pharmacie", "creche", "societe", "boulangerie", "entreprise",
    "laboratoire", "centre", "clinique", "polyclinique", "hopital", "chu", "chr", "az", "uz", "groupe", "atelier",
    "bureau", "etablissements", "ets", "sprl", "srl", "sa", "asbl", "mrs", "mr", "service", "services", "cpas",
    "commune", "ville", "administration", "ministere", "police", "magasin", "supermarche", "usine", "ferme",
    "restaurant", "hotel", "banque", "poste", "kinesitherapie", "dentisterie", "maternelle", "primaire",
    "secondaire", "basisschool", "school", "rusthuis", "woonzorgcentrum", "huisartsenpraktijk", "praktijk",
    "menuiserie", "boucherie", "librairie", "imprimerie", "transports", "transport", "construction",
    "constructions", "toitures", "plomberie", "electricite", "carrosserie", "cafe", "brasserie", "fromagerie",
    "agence", "assurances", "fiduciaire", "notaire", "etude", "salon", "coiffure", "taxi", "taxis", "clos",
})
INSTITUTION_QUALIFIERS = frozenset({
    "royal", "royale", "communal", "communale", "provincial", "provinciale", "libre", "medical", "medicale",
    "hospitalier", "hospitaliere", "universitaire", "fondamental", "fondamentale", "superieure", "technique",
    "professionnel", "professionnelle", "general", "generale", "regional", "regionale", "de", "repos", "soins",
    "sante", "et", "kinesitherapie", "radiologie", "imagerie", "medecine", "generaliste", "generalistes",
    "dentaire", "pediatrique", "geriatrique", "psychiatrique", "interregional", "intercommunal", "revalidation",
    "reeducation", "readaptation", "jour", "nuit", "accueil", "hebergement", "sport", "sports",
})
CONNECTORS = frozenset({"de", "du", "des", "d", "la", "le", "l", "les", "van", "te"})
# Legal forms that end an employer's name ("Menuiserie Guillaume SRL").
LEGAL_FORMS = frozenset({"sa", "srl", "sprl", "sc", "scrl", "asbl", "snc", "scs", "bv", "bvba", "nv", "vzw", "cv",
                         "sas", "sarl", "gmbh", "ltd", "inc"})

# Words that start a surname: "Van der Berg", "de Simon", "D'Hondt" ("d" with an apostrophe).
PARTICLES = frozenset({"de", "du", "des", "d", "van", "vande", "vanden", "vander", "der", "den", "von", "le",
                       "la", "l", "di", "da", "del", "dell", "della", "dos", "ten", "ter", "te", "op", "t", "mc",
                       "mac"})
# Words that surrogates keep on purpose (street types, kinds of institution, particles...): never
# "forbidden" as words of other originals; a kept word must only differ from every original value.
STRUCTURE_WORDS = frozenset(STREET_TYPES | BOX_MARKERS | CONNECTORS | INSTITUTION_KINDS | HOSPITAL_KINDS
                            | INSTITUTION_QUALIFIERS | LEGAL_FORMS | HOUSE_SUFFIXES | set(DUTCH_SUFFIXES) | PARTICLES
                            | {"saint", "sainte", "sint", "st", "ste", "notre", "dame", "site", "campus"})
