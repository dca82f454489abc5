"""pytest-benchmark timings of the hot paths each compiled kernel in ``covet/_speedups`` serves.

``python -m bench.micro`` (``make bench-micro``) runs them twice, compiled and with
``COVET_NO_EXTENSIONS=1``, and prints the two side by side (``bench/micro/compare.py``). The inputs
are the kernel comparison's (``bench/speedups_cases.py``); each test checks its answer once
before timing it. No test here opens a connection: ``conftest.py`` refuses any.
"""
