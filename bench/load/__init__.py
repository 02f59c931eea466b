"""The load harness (locust): bench/load/locustfile.py, run by bench/load/run.py."""
