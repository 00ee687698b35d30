"""bonevlp: CLIP-style vision-language pretraining and evaluation on bone X-ray WebDataset shards.

Runs off-site on shards alone: it never imports frdeid, boneds, spacy, flair or pydicom.
"""

__version__ = "0.1.0"
