"""The vault: keys, encryption of fields and files, unlock, rotation, panic and escrow.

Every other app stores what people typed or uploaded through this package and nothing else.
security.md (beside the repository) is the specification; docs/threat-model.md records where
the code stands.
"""
