"""Stage 2 of the pipeline: desired state and live state in, a reviewable :class:`Plan` out.

The planner is pure: it never reads the network (live state is handed to it), so a plan can
be built, saved, rendered and compared without a client.
"""
