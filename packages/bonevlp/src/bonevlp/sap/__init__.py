"""`bonevlp sap`: SapBERT-style self-alignment of a text tower on a synonym table.

    terms    synonym tables: `concept_id,term` CSV, UMLS MRCONSO.RRF streaming, held-out concept split
    pairs    every synonym pair of a concept (at most 50), seeded batches
    loss     the in-batch triplet-margin miner and the multi-similarity loss (torch)
    towers   the text towers aligned: a bonevlp model's `encode_text`, or a Hugging Face encoder's [CLS]
    train    the alignment loop, before/after scores on held-out concepts, the output folder and sap.json

Heavy imports (torch, transformers) happen when a submodule is imported, not here.
"""
