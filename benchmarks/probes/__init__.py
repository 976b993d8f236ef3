"""Probes: small measurements of one part of newsindex's cost, for whoever works on speed.

Each module runs with ``python -m benchmarks.probes.NAME`` (``--help`` says what it measures
and what it needs) and prints what it finds; none passes or fails on a time. By default a
probe builds an index of the bundled sample in a temporary folder and draws the benchmark's
queries from it, which proves it runs; the figures in ``benchmarks/PERFORMANCE.md`` come from
the index and queries a full benchmark run keeps (``python -m benchmarks --corpus FILE
--scale 16 --work WORK --keep``, then ``--index WORK/scale-16/newsindex --queries
WORK/queries.json``).

Unlike the benchmark, the probes reach into newsindex's internals (the functions they time or
spy on), so they follow its module layout: each module's docstring names what it imports.
"""
