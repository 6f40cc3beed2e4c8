"""reconciler: declarative GitOps plan/apply for Genesys Cloud CX configuration."""

__version__ = "0.1.0"
