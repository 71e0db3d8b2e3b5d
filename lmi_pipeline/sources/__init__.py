"""What the source assets share, as plain modules: the Nomis source spec and its load, code resolution by
label, request logging for provenance, revision detection and source isolation. `lmi_pipeline/defs/sources`
only declares the assets."""
