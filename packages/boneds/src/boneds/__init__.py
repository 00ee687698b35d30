"""boneds: from a hospital export of bone X-rays and French reports to de-identified WebDataset shards."""

__version__ = "0.1.0"
