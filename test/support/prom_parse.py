"""Parses a Prometheus text exposition (0.0.4) from stdin with the official client's parser
(Debian's python3-prometheus-client) and prints one line per family and per sample:
    family <name> <type>
    sample <name> <label>=<value>,... <value>
Labels are sorted; values print as integers when integral. Exits 1 with the parser's error."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def value(v):
    return str(int(v)) if v == int(v) else repr(v)


def main():
    text = sys.stdin.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others on bad input
        print("error", repr(e))
        return 1
    for f in families:
        print("family", f.name, f.type)
        for s in f.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            v = s.value
            print("sample", s.name, labels, value(v) if v == v and abs(v) != float("inf") else v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
