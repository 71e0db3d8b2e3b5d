"""`python -m lmi_pipeline.metadata`: write docs/data-dictionary.md from lmi_pipeline.metadata."""

from lmi_pipeline.metadata.dictionary import write

print(f"wrote {write()}")
