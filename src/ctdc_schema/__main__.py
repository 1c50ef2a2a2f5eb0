"""`python -m ctdc_schema` runs the `ctdc` command line."""

from ctdc_schema.cli import main

main()
