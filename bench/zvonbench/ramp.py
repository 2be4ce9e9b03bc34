"""The ramp shared by the rate scenarios: rates go up a bounded ladder until a step is not
clean; then one step halfway (geometric) between the last clean rate and the first unclean
one narrows the answer. Every step is bounded by the caller."""

import math


def ramp(ladder, run_step, log, after_unclean, refine=True, floor=50):
    """run_step(rate) -> dict with at least "clean" (bool) and "why" (str when not clean);
    after_unclean() runs after a step that was not clean (a fresh target).
    When the first rung is not clean, the rate halves (down to `floor`, at most three times)
    so that a slow target, or a busy machine, still yields a figure.
    Returns (highest clean step or None, all steps in the order run)."""
    steps = []
    best = None
    first_bad = None
    ladder = list(ladder)
    if ladder:
        first = run_step(ladder[0])
        steps.append(first)
        log("  %6d/s  %s" % (ladder[0], "clean" if first["clean"] else "NOT clean: " + first["why"]))
        rate = ladder[0]
        if first["clean"]:
            best = first
            ladder = ladder[1:]
        else:
            after_unclean()
            first_bad = first
            for _ in range(3):
                rate //= 2
                if rate < floor:
                    break
                step = run_step(rate)
                steps.append(step)
                log("  %6d/s  %s" % (rate, "clean" if step["clean"] else "NOT clean: " + step["why"]))
                if step["clean"]:
                    best = step
                    break
                first_bad = step
                after_unclean()
            ladder = []
    for rate in ladder:
        step = run_step(rate)
        steps.append(step)
        log("  %6d/s  %s" % (rate, "clean" if step["clean"] else "NOT clean: " + step["why"]))
        if step["clean"]:
            best = step
        else:
            first_bad = step
            after_unclean()
            break
    if refine and best is not None and first_bad is not None:
        mid = int(round(math.sqrt(best["rate"] * first_bad["rate"]) / 50.0) * 50)
        if best["rate"] < mid < first_bad["rate"]:
            step = run_step(mid)
            steps.append(step)
            log("  %6d/s  %s" % (mid, "clean" if step["clean"] else "NOT clean: " + step["why"]))
            if step["clean"]:
                best = step
            else:
                after_unclean()
    return best, steps
