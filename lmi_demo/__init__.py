"""The synthetic upstream behind the demo, the tests and the benchmark: never part of a live run.

Real areas from the bundled ONS reference (lmi_pipeline/geography), made-up numbers, served in the
exact upstream formats (Nomis CSV and SDMX JSON, ONS ArcGIS JSON, DfE EES JSON and CSV) by a local HTTP
server. `lmi run` in demo mode records the pipeline's own requests against it once (snapshot.py) and
replays them; production code never imports this package.
"""
