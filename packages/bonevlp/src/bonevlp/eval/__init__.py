"""`bonevlp eval`: zero-shot classification on public downstream datasets read in their own layouts,
and report/study retrieval on the shards' validation split.

    datasets   adapters (FracAtlas, MURA v1.1, GRAZPEDWRI-DX, RSNA Bone Age, knee KL folders) -> LabeledImages
    prompts    French prompt ensembles per label (packaged default: bonevlp/data/prompts/prompts_fr.json)
    embed      loading a run or an exported model; batched image (study-pooled) and text embeddings
    zeroshot   CheXzero-style scoring, AUROC and accuracy (scikit-learn)
    retrieval  R@1/5/10 both ways, median rank (scikit-learn's top-k accuracy)
    results    JSON results and a readable table
    cli        `add_eval_parser(subparsers)` and `run_eval(args)`

Heavy imports (torch, scikit-learn) happen when a submodule is imported, not here.
"""

from .datasets import KINDS, DatasetLayoutError, LabeledImage, LabeledImages, Unit, load_dataset

__all__ = ["KINDS", "DatasetLayoutError", "LabeledImage", "LabeledImages", "Unit", "load_dataset"]
