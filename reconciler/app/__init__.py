"""The use cases (plan, apply, drift, export) that wire the stages to a client and an audit trail."""
