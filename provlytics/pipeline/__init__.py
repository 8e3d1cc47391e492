"""Execution strategies of the load pipeline: in-process, worker processes, a Dask cluster."""
