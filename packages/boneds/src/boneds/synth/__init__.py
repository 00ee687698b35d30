"""The synthetic hospital: a PACS + EHR export of bone X-rays and French reports, with ground truth.

`generate_export` writes the export used by the demo, the tests and the benchmarks;
`generate_downstream` writes small labelled sets in the layouts of public datasets.
"""
