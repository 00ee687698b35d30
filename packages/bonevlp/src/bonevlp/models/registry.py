"""Models by name: open_clip's own configs (`ViT-B-16`, `RN50`, ...) and the project's, registered with
open_clip from JSON files (`bonevlp/data/model_configs/*.json`), all built by open_clip's factory.

Nothing is downloaded: weights come from local files only, tokenizers from local directories or
open_clip's bundled BPE, a Hugging Face text encoder from a local directory.
"""

from __future__ import annotations

import copy
import inspect
import json
import logging
import tempfile
from importlib.resources import files
from pathlib import Path

import torch
from torch import nn

from .tokenizer import TextTokenizer, tokenizer_info

LOG = logging.getLogger(__name__)

PROJECT_CONFIG_DIR = Path(str(files("bonevlp") / "data" / "model_configs"))
BUNDLED_VOCAB_SIZE = 49408  # open_clip's SimpleTokenizer
LOCAL_DIR_PREFIX = "local-dir:"
HF_DEFAULT_POOLER = "cls_last_hidden_state_pooler"  # the [CLS] token's last hidden state, as SapBERT uses it
ROBERTA_LIKE = {"roberta", "xlm-roberta", "camembert"}  # position ids start after the padding index

_registered = False


def project_model_names() -> list[str]:
    """Names of the project's model configs (file stems)."""
    return sorted(path.stem for path in PROJECT_CONFIG_DIR.glob("*.json"))


def register_project_configs() -> None:
    """Add the project's model configs to open_clip's registry (idempotent)."""
    global _registered
    import open_clip

    if _registered and set(project_model_names()) <= set(open_clip.list_models()):
        return
    open_clip.add_model_config(PROJECT_CONFIG_DIR)
    _registered = True


def model_names() -> list[str]:
    """Every name `create` accepts: open_clip's configs and the project's."""
    import open_clip

    register_project_configs()
    return open_clip.list_models()


def _open_clip_create_args() -> set[str]:
    import open_clip

    return {name for name, p in inspect.signature(open_clip.create_model).parameters.items()
            if p.kind is not inspect.Parameter.VAR_KEYWORD} - {"model_name"}


def _hf_context_length(hf_text_dir: Path, wanted: int) -> int:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(hf_text_dir))
    limit = getattr(config, "max_position_embeddings", None)
    if not limit:
        return wanted
    if config.model_type in ROBERTA_LIKE:
        limit -= (config.pad_token_id or 0) + 1
    return min(wanted, int(limit))


def resolve_model_config(model_name: str, tokenizer_dir: Path | None = None, hf_text_dir: Path | None = None,
                         context_length: int | None = None, hf_pooler_type: str = HF_DEFAULT_POOLER,
                         hf_proj_type: str = "linear", image_size: int | None = None, **overrides) -> dict:
    """The open_clip model config `create` builds: the named config with its text tower fitted to the
    tokenizer (vocab size, context length, pad and end ids) or replaced by a local Hugging Face encoder.
    `image_size` replaces the image tower's input size (a ViT gets position embeddings of that grid).
    `overrides` are top-level config keys (`init_logit_scale`, `init_logit_bias`, `quick_gelu`, ...)."""
    import open_clip

    register_project_configs()
    cfg = open_clip.get_model_config(model_name)
    if cfg is None:
        raise ValueError(f"unknown model {model_name!r}; known: {', '.join(open_clip.list_models())}")
    cfg = copy.deepcopy(cfg)
    cfg.update(overrides)
    if image_size is not None:
        cfg["vision_cfg"]["image_size"] = int(image_size)
    text_cfg = cfg["text_cfg"]
    ctx = int(context_length or text_cfg.get("context_length", 77))

    if hf_text_dir is not None:
        if tokenizer_dir is not None:
            raise ValueError("hf_text_dir brings its own tokenizer: do not pass tokenizer_dir as well")
        hf_dir = str(Path(hf_text_dir).resolve())
        cfg["text_cfg"] = {"hf_model_name": hf_dir, "hf_tokenizer_name": hf_dir, "hf_pooler_type": hf_pooler_type,
                           "hf_proj_type": hf_proj_type, "context_length": _hf_context_length(Path(hf_dir), ctx)}
        cfg.pop("custom_text", None)
        return cfg
    if text_cfg.get("hf_model_name"):
        raise ValueError(f"{model_name} has a Hugging Face text tower ({text_cfg['hf_model_name']}): pass hf_text_dir, "
                         "a local copy of it")
    if tokenizer_dir is not None:
        info = tokenizer_info(Path(tokenizer_dir))
        text_cfg.update(vocab_size=info["vocab_size"], context_length=ctx, pad_id=info["pad_id"],
                        eos_id=info["eos_id"], pool_type="eos", hf_tokenizer_name=str(Path(tokenizer_dir).resolve()))
        text_cfg.pop("tokenizer_mode", None)
        return cfg
    hub_tokenizer = text_cfg.get("hf_tokenizer_name")
    if hub_tokenizer and not Path(hub_tokenizer).is_dir():
        raise ValueError(f"{model_name} uses the tokenizer {hub_tokenizer} from the hub: pass tokenizer_dir")
    if not hub_tokenizer and text_cfg.get("vocab_size", BUNDLED_VOCAB_SIZE) != BUNDLED_VOCAB_SIZE:
        # a project config without a project tokenizer: open_clip's bundled BPE, pooled at its end token
        text_cfg.update(vocab_size=BUNDLED_VOCAB_SIZE, pool_type="argmax", pad_id=0)
        text_cfg.pop("eos_id", None)
    text_cfg["context_length"] = ctx
    return cfg


_TEMP_PREFIX = "bonevlp-cfg-"


class _DropTempConfigWarnings(logging.Filter):
    """open_clip's "no weights found in <temporary config dir>" warnings: expected, weights come after."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _TEMP_PREFIX not in record.getMessage()


def _instantiate(model_cfg: dict, preprocess_cfg: dict | None, create_kw: dict) -> nn.Module:
    """open_clip's factory on an in-memory config (through a temporary `local-dir:`, no weights)."""
    import open_clip

    with tempfile.TemporaryDirectory(prefix=_TEMP_PREFIX) as tmp:
        (Path(tmp) / "open_clip_config.json").write_text(
            json.dumps({"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg or {}}), encoding="utf-8")
        quiet = _DropTempConfigWarnings()
        logging.getLogger().addFilter(quiet)  # open_clip logs on the root logger
        try:
            return open_clip.create_model(LOCAL_DIR_PREFIX + tmp, **create_kw)
        finally:
            logging.getLogger().removeFilter(quiet)


def _load_partial(module: nn.Module, state_dict: dict[str, torch.Tensor]) -> dict[str, list[str]]:
    """Load what fits (strict=False, tensors of another shape left out): missing, unexpected and
    mismatched keys."""
    own = module.state_dict()
    mismatched = [k for k, v in state_dict.items() if k in own and tuple(own[k].shape) != tuple(v.shape)]
    fitting = {k: v for k, v in state_dict.items() if k not in mismatched}
    result = module.load_state_dict(fitting, strict=False)
    report = {"missing": sorted(set(result.missing_keys) - set(mismatched)), "unexpected": sorted(result.unexpected_keys),
              "mismatched": sorted(mismatched)}
    loaded = len(fitting) - len(result.unexpected_keys)
    if loaded == 0:
        raise ValueError(f"no tensor of the state dict fits {type(module).__name__}: {report}")
    report["loaded"] = loaded
    return report


def _strip_prefix(state_dict: dict, prefix: str) -> dict:
    if any(k.startswith(prefix) for k in state_dict):
        return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    return state_dict


def _resize_text_positions(state_dict: dict, model: nn.Module) -> None:
    from open_clip.model import resize_text_pos_embed

    key = "positional_embedding" if "positional_embedding" in state_dict else "text.positional_embedding"
    own = getattr(model, "positional_embedding", None)
    if own is None:
        own = getattr(getattr(model, "text", None), "positional_embedding", None)
    if key in state_dict and own is not None and state_dict[key].shape[-1] == own.shape[-1]:
        resize_text_pos_embed(state_dict, model)


def load_whole_model_weights(model: nn.Module, path: Path) -> dict[str, list[str]]:
    """A full open_clip checkpoint (or a compatible one: OpenAI, timm conversions) from a local file,
    strict=False: position embeddings resized, tensors of another shape left out and reported."""
    from open_clip.convert import convert_state_dict
    from open_clip.factory import load_state_dict
    from open_clip.model import convert_to_custom_text_state_dict, resize_pos_embed

    state_dict = convert_state_dict(model, load_state_dict(str(path)))
    if "positional_embedding" in state_dict and not hasattr(model, "positional_embedding"):
        state_dict = convert_to_custom_text_state_dict(state_dict)
    for name in ("logit_scale", "logit_bias"):
        own = getattr(model, name, None)
        if name in state_dict and own is not None and state_dict[name].ndim != own.ndim:
            state_dict[name] = state_dict[name].reshape(own.shape)
    state_dict.pop("text.transformer.embeddings.position_ids", None)
    resize_pos_embed(state_dict, model)
    _resize_text_positions(state_dict, model)
    return _load_partial(model, state_dict)


def load_image_weights(model: nn.Module, path: Path) -> dict[str, list[str]]:
    """Image tower weights from a local file: a state dict of the tower itself, or a full CLIP checkpoint
    whose `visual.*` tensors are taken."""
    from open_clip.factory import load_state_dict
    from open_clip.model import resize_pos_embed

    state_dict = _strip_prefix(load_state_dict(str(path)), "visual.")
    prefixed = {"visual." + k: v for k, v in state_dict.items()}
    resize_pos_embed(prefixed, model)
    return _load_partial(model.visual, {k[len("visual."):]: v for k, v in prefixed.items()})


def load_text_weights(model: nn.Module, path: Path) -> dict[str, list[str]]:
    """Text tower weights from a local file: a state dict of the tower, or a full CLIP checkpoint whose
    text tensors are taken."""
    from open_clip.factory import load_state_dict

    state_dict = load_state_dict(str(path))
    state_dict = {k: v for k, v in state_dict.items()
                  if not k.startswith("visual.") and k not in ("logit_scale", "logit_bias")}
    state_dict = _strip_prefix(state_dict, "text.")
    if hasattr(model, "text"):  # CustomTextCLIP: the tower is a module
        state_dict.pop("transformer.embeddings.position_ids", None)
        if "positional_embedding" in state_dict:
            _resize_text_positions({"text.positional_embedding": state_dict["positional_embedding"]}, model)
        return _load_partial(model.text, state_dict)
    _resize_text_positions(state_dict, model)  # CLIP: the text tensors sit at the top level
    return _load_partial(model, state_dict)


def _tokenizer_source(model_cfg: dict) -> str | None:
    return model_cfg["text_cfg"].get("hf_tokenizer_name") or None


def _create_from_local_dir(directory: Path, create_kw: dict) -> tuple[nn.Module, dict]:
    """An exported model (`export_open_clip`): config, weights (strict) and tokenizer from `directory`;
    a Hugging Face text tower and tokenizer saved there are found even if the directory moved."""
    from open_clip.factory import _find_checkpoint_in_dir, load_checkpoint

    config = json.loads((directory / "open_clip_config.json").read_text(encoding="utf-8"))
    model_cfg = config["model_cfg"]
    text_cfg = model_cfg["text_cfg"]
    here = str(directory.resolve())
    if text_cfg.get("hf_model_name") and (directory / "config.json").is_file():
        text_cfg["hf_model_name"] = here
    if text_cfg.get("hf_tokenizer_name") and (directory / "tokenizer_config.json").is_file():
        text_cfg["hf_tokenizer_name"] = here
    model = _instantiate(model_cfg, config.get("preprocess_cfg"), {**create_kw, "pretrained_text": False})
    checkpoint = _find_checkpoint_in_dir(directory)
    if checkpoint is None:
        LOG.warning("no weights in %s: the model is randomly initialised", directory)
    else:
        load_checkpoint(model, checkpoint, strict=True)
    return model, model_cfg


def create(model_name: str, tokenizer_dir: Path | None = None, pretrained_image: Path | None = None,
           pretrained_text: Path | None = None, hf_text_dir: Path | None = None, *, pretrained: Path | None = None,
           context_length: int | None = None, hf_pooler_type: str = HF_DEFAULT_POOLER, hf_proj_type: str = "linear",
           image_size: int | None = None, **kw) -> tuple[nn.Module, dict, TextTokenizer]:
    """Build an open_clip model by name, offline: `(model, preprocess_cfg, tokenize_fn)`.

    `model_name`: an open_clip config (`"ViT-B-16"`, `"RN50"`, ...), a project config (`"tiny"`,
    `"vit-b-16-fr"`) or `"local-dir:DIR"` (a model written by `export_open_clip`; weights loaded strictly).
    `tokenizer_dir`: a tokenizer from `train_tokenizer`; the text tower takes its vocab size, pad and end
    ids (pooled at the end token). None: open_clip's bundled BPE. `hf_text_dir`: a local Hugging Face
    encoder (and its tokenizer) as the text tower, pooled at [CLS] (`hf_pooler_type`, open_clip's
    `"cls_pooler"` for BERT's tanh pooler head instead) and projected linearly.
    `pretrained_image`, `pretrained_text`, `pretrained`: local weight files for the image tower, the text
    tower or the whole model, loaded strict=False (what was missing, unexpected or of another shape is
    logged and kept in `model.bonevlp_load_report`). `context_length` and `image_size` override the config's.
    Other keywords go to `open_clip.create_model` (`precision`, `device`, `force_image_size`, ...) when it
    takes them, else into the model config (`init_logit_scale`, `init_logit_bias`, `quick_gelu`, ...).

    `model.bonevlp_model_cfg` holds the config built (what `export_open_clip` writes); `tokenize_fn` is
    picklable and returns `LongTensor[B, context_length]`."""
    register_project_configs()
    create_args = _open_clip_create_args()
    if "force_context_length" in kw:
        context_length = context_length or kw.pop("force_context_length")
    for unsupported in ("pretrained_image_path", "pretrained_text_path", "cache_dir"):
        if unsupported in kw:
            raise ValueError(f"{unsupported}: pass pretrained_image / pretrained_text / pretrained (local files)")
    create_kw = {k: v for k, v in kw.items() if k in create_args}
    overrides = {k: v for k, v in kw.items() if k not in create_args}

    if model_name.startswith(LOCAL_DIR_PREFIX):
        if tokenizer_dir is not None or hf_text_dir is not None or overrides or image_size is not None:
            raise ValueError("a local-dir model brings its config and tokenizer: pass none")
        model, model_cfg = _create_from_local_dir(Path(model_name[len(LOCAL_DIR_PREFIX):]), create_kw)
    else:
        model_cfg = resolve_model_config(model_name, tokenizer_dir, hf_text_dir, context_length, hf_pooler_type,
                                         hf_proj_type, image_size, **overrides)
        model = _instantiate(model_cfg, None, create_kw)

    report: dict[str, dict] = {}
    for part, path, loader in (("model", pretrained, load_whole_model_weights),
                               ("image", pretrained_image, load_image_weights),
                               ("text", pretrained_text, load_text_weights)):
        if path is None:
            continue
        if not Path(path).is_file():
            raise FileNotFoundError(f"{part} weights not found: {path}")
        report[part] = loader(model, Path(path))
        incomplete = report[part]["missing"] or report[part]["unexpected"] or report[part]["mismatched"]
        LOG.log(logging.WARNING if incomplete else logging.INFO,
                "loaded %s weights from %s: %d tensors; missing %s; unexpected %s; other shape %s", part, path,
                report[part]["loaded"], report[part]["missing"], report[part]["unexpected"], report[part]["mismatched"])
    model.bonevlp_load_report = report
    model.bonevlp_model_cfg = copy.deepcopy(model_cfg)

    preprocess_cfg = dict(getattr(model.visual, "preprocess_cfg", {}) or {})
    tokenize_fn = TextTokenizer(_tokenizer_source(model_cfg), model_cfg["text_cfg"]["context_length"])
    return model, preprocess_cfg, tokenize_fn
