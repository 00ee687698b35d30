"""`bonevlp eval`: zero-shot classification, linear probes and fine-tuning on public downstream
datasets read in their own layouts, report/study retrieval and latent-space analysis on the shards'
validation split, and text-tower synonym retrieval.

    datasets   adapters (FracAtlas, MURA v1.1, GRAZPEDWRI-DX, RSNA Bone Age, knee KL folders) -> LabeledImages
    prompts    French prompt ensembles per label (packaged default: bonevlp/data/prompts/prompts_fr.json)
    embed      loading a run or an exported model; batched image (study-pooled) and text embeddings
    zeroshot   CheXzero-style scoring, AUROC and accuracy (scikit-learn)
    retrieval  R@1/5/10 both ways, median rank (scikit-learn's top-k accuracy)
    probe      linear heads on frozen study features, 1/10/100 % of the labels by patient, seeds, bootstrap CI
    finetune   the probe's fine-tuning mode (head first, then everything) and its random / checkpoint baselines
    analyse    alignment, uniformity, modality gap, kNN accuracy, PCA figures
    synonyms   acc@1 / acc@5 of a text tower on a concept_id,term table
    results    JSON results and a readable table
    cli        `add_eval_parser(subparsers)` and `run_eval(args)`

Heavy imports (torch, scikit-learn) happen when a submodule is imported, not here.
"""

from .datasets import KINDS, DatasetLayoutError, LabeledImage, LabeledImages, Unit, load_dataset

__all__ = ["KINDS", "DatasetLayoutError", "LabeledImage", "LabeledImages", "Unit", "load_dataset"]
