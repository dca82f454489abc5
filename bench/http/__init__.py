"""HTTP throughput and latency of CovetPy against its peers, TechEmpower-style (``python -m bench.http``)."""
