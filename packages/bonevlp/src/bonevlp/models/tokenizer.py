"""Text tokenisation, offline: a byte-level BPE trained on the shard reports, or open_clip's bundled BPE.

The project tokenizer is a Hugging Face `tokenizers` BPE (NFKC, lowercase, accents kept, byte-level so
no character is ever unknown) wrapped in `transformers.PreTrainedTokenizerFast` and saved with
`save_pretrained`, so open_clip's `HFTokenizer` loads it from the directory with no hub access. Every
sequence is `[CLS] ... [SEP]` padded with `[PAD]` (id 0); the text tower pools the `[SEP]` (end of text)
position.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import torch

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")  # ids 0 to 4, in this order
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))


def train_tokenizer(texts: Iterable[str], out_dir: Path, vocab_size: int = 8192, min_frequency: int = 2) -> Path:
    """Train a byte-level BPE on `texts` and save it under `out_dir` (`tokenizer.json` and the
    `transformers` files). The same texts in the same order give the same files. Returns `out_dir`."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator((text for text in texts if text), trainer=trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", CLS_ID), ("[SEP]", SEP_ID)])
    for token, expected in zip(SPECIAL_TOKENS, range(len(SPECIAL_TOKENS)), strict=True):
        if tokenizer.token_to_id(token) != expected:
            raise RuntimeError(f"special token {token} got id {tokenizer.token_to_id(token)}, expected {expected}")

    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", bos_token="[CLS]", eos_token="[SEP]",
                                   add_prefix_space=True)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out_dir))
    return out_dir


def tokenizer_info(tokenizer_dir: Path) -> dict:
    """What a text tower needs from a saved Hugging Face tokenizer: `vocab_size`, `pad_id`, `eos_id`
    (the token ending every sequence) and `model_max_length`."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    eos_id = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
    return {"vocab_size": len(tok), "pad_id": tok.pad_token_id, "eos_id": eos_id,
            "model_max_length": tok.model_max_length}


class TextTokenizer:
    """`tokenize(list[str]) -> LongTensor[B, context_length]`, picklable for DataLoader workers.

    `source` is a directory holding a Hugging Face tokenizer (loaded through open_clip's `HFTokenizer`)
    or None for open_clip's bundled English BPE. Only the source and the context length are pickled; each
    process loads the tokenizer on first use."""

    def __init__(self, source: str | Path | None, context_length: int):
        self.source = str(source) if source is not None else None
        self.context_length = int(context_length)
        self._impl = None

    def _load(self):
        import open_clip

        # batches are small; without this, forking DataLoader workers after a first call warns
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

        if self.source is None:
            return open_clip.SimpleTokenizer(context_length=self.context_length)
        return open_clip.tokenizer.HFTokenizer(self.source, context_length=self.context_length)

    def __call__(self, texts: str | list[str]) -> torch.Tensor:
        if self._impl is None:
            self._impl = self._load()
        if isinstance(texts, str):
            texts = [texts]
        return self._impl(list(texts)).long()

    def decode(self, ids: torch.Tensor | list[int]) -> str:
        """The text of one row of token ids, special tokens left out (project or HF tokenizers only)."""
        if self._impl is None:
            self._impl = self._load()
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        if self.source is None:
            return self._impl.decode([i for i in ids if i != 0]).replace("<start_of_text>", "").replace(
                "<end_of_text>", "").strip()
        return self._impl.tokenizer.decode(ids, skip_special_tokens=True).strip()

    def __getstate__(self) -> dict:
        return {"source": self.source, "context_length": self.context_length}

    def __setstate__(self, state: dict) -> None:
        self.source, self.context_length, self._impl = state["source"], state["context_length"], None

    def __repr__(self) -> str:
        return f"TextTokenizer(source={self.source!r}, context_length={self.context_length})"


def load_tokenizer(tokenizer_dir: Path | None, context_length: int) -> TextTokenizer:
    """The tokenizer saved in `tokenizer_dir` (None: open_clip's bundled one) at `context_length`."""
    return TextTokenizer(tokenizer_dir, context_length)
