"""Live objects written out as manifests: the way an existing org is brought under git."""
