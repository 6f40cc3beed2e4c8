"""Stage 3 of the pipeline: carry out a plan's changes against the API, recording each in the audit trail."""
