"""frdeid: de-identification of French clinical text and DICOM files.

One secret key drives every pseudonym and date shift (`frdeid.keys`), so that a patient's reports
and images stay linked after de-identification without any original identifier surviving.
"""

__version__ = "0.1.0"
