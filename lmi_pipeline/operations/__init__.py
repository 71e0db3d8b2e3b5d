"""Driving runs (whole graph, last in the flow): refresh planning, running a job in process with its console output, and the closing summary."""
