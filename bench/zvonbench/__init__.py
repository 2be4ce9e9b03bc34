"""The zvon benchmark harness (bench/run.sh). Standard library only; Linux /proc only."""
