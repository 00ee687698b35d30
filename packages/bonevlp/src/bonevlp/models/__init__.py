"""Models: open_clip configs by name (open_clip's and the project's), offline tokenizers, study pooling
and the study-level CLIP wrapper with its open_clip export."""

from .pooling import GatedAttentionPool, MeanPool, build_pooling, segment_softmax
from .registry import create, model_names, project_model_names, register_project_configs, resolve_model_config
from .study_model import StudyCLIP, export_open_clip, load_study_model
from .tokenizer import TextTokenizer, load_tokenizer, tokenizer_info, train_tokenizer

__all__ = [
    "GatedAttentionPool", "MeanPool", "StudyCLIP", "TextTokenizer", "build_pooling", "create", "export_open_clip",
    "load_study_model", "load_tokenizer", "model_names", "project_model_names", "register_project_configs",
    "resolve_model_config", "segment_softmax", "tokenizer_info", "train_tokenizer",
]
