"""The project's own sequence tagger (flair): training from annotated JSONL and tokenisation shared
by training and inference. flair is imported lazily (its import takes seconds)."""
