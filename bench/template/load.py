"""Loads lambda_function.py in a fresh interpreter as Lambda's Python runtime would, creates the
client its first invocation creates, and prints the time and peak RSS as JSON."""

import json
import resource
import sys
import time

started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import lambda_function  # noqa: E402

lambda_function.service_client()
load_ms = (time.perf_counter() - started) * 1000
rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
sys.stdout.write(json.dumps({"loadMs": load_ms, "rssBytes": rss_bytes}))
