"""The data engine: crosswalks compiled into SQL and run where the data are.

* :mod:`.readers` opens an export (CSV/TSV, XLSX, JSON Lines, Parquet) as a table of text
  columns with the row number a spreadsheet shows, and keeps the rows it cannot read;
* :mod:`.plan` compiles the crosswalk versions of one source into one SQL plan, a sqlglot AST,
  plus lookup tables *as data* (codes never appear in SQL text);
* :mod:`.duckdb_engine` runs a plan on DuckDB, embedded, streaming file to file;
* :mod:`.spark_engine` renders the same plan for Apache Spark (optional extra ``spark``).

The meaning compiled here is the one stated in :mod:`ctdc_schema.crosswalk.semantics`; the
row-at-a-time reference mapper is the oracle the engine is tested against.
"""
