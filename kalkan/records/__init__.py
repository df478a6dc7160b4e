"""The documentation model's shared reference data: for now the gazetteer of regions."""
