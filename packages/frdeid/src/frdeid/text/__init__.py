"""French clinical text de-identification: detection (`Pipeline`) and replacement."""
