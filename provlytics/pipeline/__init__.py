"""The pipeline: the one route from any source's pages to tables and to a store.

```
sources (pages: text or records, Origin, Container) -> normalize.normalize (fast or general
decoder per page; logs or jobs) -> route.page_tables -> FramesBuilder (frames) | dataset_writer
(store)
```

Every calling path takes it: files (`files.load`, `files.load_to_parquet`, in this process or
in worker processes: `workers`), fetches and spool replays (`fetch.fetch_logs`), on-demand
responses (`on_demand`), and job snapshots (`jobs`); on a Dask cluster, partitions of
files (`dask.load_dask`, over `partitions`). `route.page_tables` is the only place a
page becomes tables.
"""
