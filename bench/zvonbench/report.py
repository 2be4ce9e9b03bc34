"""The table bench/run.sh prints and writes (report.md), from the results of one run."""

from .stats import ratio


def _n(v, digits=0, unit=""):
    if v is None:
        return "-"
    return ("{:,.%df}" % digits).format(v) + unit


def _r(a, b):
    x = ratio(a, b)
    return "-" if x is None else "%.2f" % x


def _pct(x):
    return None if x is None else 100.0 * x


def _pair(a, b, digits=2):
    if a is None and b is None:
        return "-"
    return "%s / %s" % (_n(a, digits), _n(b, digits))


def _rate(s):
    """The highest clean rate, marked when it is only a lower bound."""
    rate = s.get("max_clean_rate")
    if rate is None:
        return "-"
    text = _n(rate)
    steps = s.get("steps") or []
    if steps and all(st["clean"] for st in steps):
        text = ">= " + text + " (top of the ladder)"
    elif any("load generator" in st.get("why", "") for st in steps):
        text = ">= " + text + " (sipp's core saturated first)"
    return text


def signalling_table(results):
    z = results.get("zvon", {})
    k = results.get("kamailio", {})
    zs, ks = z.get("setup", {}), k.get("setup", {})
    zh, kh = zs.get("half") or {}, ks.get("half") or {}
    zr, kr = z.get("register", {}), k.get("register", {})
    zrb, krb = zr.get("best") or {}, kr.get("best") or {}
    rows = [
        ("Call setup rate, highest clean (calls/s)", _rate(zs), _rate(ks), _r(zs.get("max_clean_rate"), ks.get("max_clean_rate")),
         ">= 2,000 and >= 1/3 of Kamailio"),
        ("CPU per call at half that rate (us)", _n(zh.get("target_cpu_us_per_call")),
         _n(kh.get("target_cpu_us_per_call")),
         _r(zh.get("target_cpu_us_per_call"), kh.get("target_cpu_us_per_call")), ""),
        ("Post-dial delay INVITE->first 180/183/200 p50 / p99 at half rate (ms)",
         _pair(zh.get("pdd_p50_ms"), zh.get("pdd_p99_ms")),
         _pair(kh.get("pdd_p50_ms"), kh.get("pdd_p99_ms")),
         _r(zh.get("pdd_p99_ms"), kh.get("pdd_p99_ms")) + " (p99)", "p99 <= 5 ms"),
        ("  same, from the INVITE with credentials (ms)",
         _pair(zh.get("pdd_auth_p50_ms"), zh.get("pdd_auth_p99_ms")),
         _pair(kh.get("pdd_auth_p50_ms"), kh.get("pdd_auth_p99_ms")),
         _r(zh.get("pdd_auth_p99_ms"), kh.get("pdd_auth_p99_ms")) + " (p99)", ""),
        ("  calls that got a 180 before the 200 (%)", _n(_pct(zh.get("ringing_share")), 0),
         _n(_pct(kh.get("ringing_share")), 0), "", ""),
        ("INVITE->200 on the wire p50 / p99 at half rate (ms)",
         _pair(zh.get("wire_answer_p50_ms"), zh.get("wire_answer_p99_ms")),
         _pair(kh.get("wire_answer_p50_ms"), kh.get("wire_answer_p99_ms")),
         _r(zh.get("wire_answer_p99_ms"), kh.get("wire_answer_p99_ms")) + " (p99)", ""),
        ("System calls per call at half rate (perf tracepoints)",
         _n((zh.get("syscalls_per_call") or {}).get("syscalls"), 1),
         _n((kh.get("syscalls_per_call") or {}).get("syscalls"), 1),
         _r((zh.get("syscalls_per_call") or {}).get("syscalls"),
            (kh.get("syscalls_per_call") or {}).get("syscalls")), ""),
        ("Context switches per call at half rate", _n(zh.get("target_switches_per_call"), 1),
         _n(kh.get("target_switches_per_call"), 1),
         _r(zh.get("target_switches_per_call"), kh.get("target_switches_per_call")), ""),
        ("Registrations with digest auth, highest clean (/s)", _rate(zr), _rate(kr), _r(zr.get("max_clean_rate"), kr.get("max_clean_rate")), ""),
        ("CPU per registration at that rate (us)",
         _n(zrb.get("target_cpu_us_per_registration")),
         _n(krb.get("target_cpu_us_per_registration")),
         _r(zrb.get("target_cpu_us_per_registration"), krb.get("target_cpu_us_per_registration")),
         ""),
    ]
    out = ["| Signalling, same run | zvon | Kamailio | zvon/Kamailio | target |",
           "|---|---:|---:|---:|---|"]
    for r in rows:
        out.append("| %s |" % " | ".join(r))
    return out


def media_table(results):
    m = results.get("zvon", {}).get("media")
    if not m:
        return []
    out = ["| Calls with G.711 both ways (zvon) | failed | zvon CPU, % of one core | RSS per call (KiB) "
           "| loss at zvon's sockets | UDP datagrams/s on the machine (expected) | CPU per packet relayed (us) "
           "| system calls per packet relayed | sipp CPU, % of one core |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in m["steps"]:
        loss = s.get("loss")
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            _n(s["calls"]), _n(s.get("failed")), _n(s.get("target_cpu_pct"), 1),
            _n(s.get("rss_per_call_kib"), 1),
            "-" if loss is None else "%.3f%%" % (100 * loss),
            "%s (%s)" % (_n(s.get("machine_udp_out_pps")), _n(s.get("expected_pps_through_zvon"))),
            _n(s.get("cpu_us_per_packet"), 2),
            _n((s.get("syscalls_per_packet") or {}).get("syscalls"), 2),
            _n(s.get("sipp_cpu_pct"), 1)))
    out.append("")
    out.append("Idle zvon (no calls, 2 endpoints, all modules loaded): RSS %s MiB (target <= 30 MiB; "
               "per call target <= 100 KiB; loss target < 0.1%% at 2,000 calls)."
               % _n(m["idle_rss_kib"] / 1024.0, 1))
    return out


def steps_detail(results):
    out = []
    for key, label in (("zvon", "zvon"), ("kamailio", "Kamailio")):
        r = results.get(key, {})
        for scen, title, p99key in (("setup", "setup rate", "answer_p99_ms"),
                                    ("register", "registration rate", "p99_ms")):
            s = r.get(scen)
            if not s:
                continue
            out.append("%s, %s steps:" % (label, title))
            steps = list(s["steps"]) + ([s["half"]] if s.get("half") else [])
            for st in steps:
                out.append("  %6d/s  %6d ok %4d failed  p99 %5s ms  pace %6s/s  target CPU %3.0f%%  "
                           "sipp CPU %3.0f%%  %s" % (
                               st["rate"], st["succeeded"], st["failed"], _n(st.get(p99key), 0),
                               _n(st.get("pace"), 0), 100 * st["target_load"],
                               100 * st["sipp_load"], "clean" if st["clean"] else st["why"]))
    return out


def render(results):
    h = results["header"]
    out = ["zvon benchmark, %s run, %s" % (h["mode"], h["date"]),
           "Commit: %s" % h["commit"],
           "Machine: %s" % h["machine"],
           "Pinning: %s" % h["pinning"],
           "Load average before the run: %s (other work on the machine skews absolute figures; "
           "the ratios come from the same run)" % h["loadavg"],
           "zvon: %s" % h.get("zvon", "-"),
           "Reference: %s" % h.get("kamailio", "-"),
           "Command: %s" % h["command"],
           ""]
    out += signalling_table(results)
    out.append("")
    out += media_table(results)
    out.append("")
    out += steps_detail(results)
    return "\n".join(out) + "\n"
