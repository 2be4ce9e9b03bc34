"""Percentiles and small number helpers for the report."""


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (None when empty)."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / float(b)
