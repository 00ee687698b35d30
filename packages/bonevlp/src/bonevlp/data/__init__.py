"""The data side of `bonevlp train`: shards and the patient-disjoint split (`shards`), report captions
(`text`), image transforms (`augment`) and the WebDataset loaders (`loader`). Contract:
docs/shard-format.md."""

from .augment import ConvirtParams, eval_transform, train_transform
from .loader import DataConfig, make_loader
from .shards import ShardSet, resolve_shards, split_keys
from .text import clean_report, report_to_caption, split_sentences

__all__ = [
    "ConvirtParams", "DataConfig", "ShardSet", "clean_report", "eval_transform", "make_loader",
    "report_to_caption", "resolve_shards", "split_keys", "split_sentences", "train_transform",
]
