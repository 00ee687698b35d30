"""`bonevlp train`: CLIP-style pretraining on study shards (config, optimiser, checkpoints, loop)."""
