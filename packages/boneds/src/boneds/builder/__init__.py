"""`boneds build`: from a hospital export to de-identified, paired WebDataset shards.

Modules: `index` (header-only inventory of the export), `pairing` (reports <-> studies on original
dates), `convert` (DICOM pixels -> 8-bit JPEG), `shards` (deterministic, atomic tar writer),
`pipeline` (the build itself), `audit` (independent leak scan of a build's output).
"""
