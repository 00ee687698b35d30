"""Pattern data of the rule detectors (regex sources and word lists), kept apart from their logic.

One module per detector; each exposes regex *sources* and word lists, compiled once by its detector.
Patterns run on `Document.folded` (lower-case, accent-free, same offsets) unless a module says it
needs the original case.
"""
