"""Detectors: projection -> communities or motifs -> rings with roles -> score."""
