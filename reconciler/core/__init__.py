"""The toolkit every stage shares: object keys, JSON paths, canonical JSON, the error tree.

Nothing here imports another package of ``reconciler``: ``core`` is the bottom layer.
"""
