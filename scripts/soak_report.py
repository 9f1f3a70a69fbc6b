"""soak_report -- the soak's report (scripts/soak.py): figures from what
the soak collected, the goals they are judged against, the JSON written and
the summary printed. Python 3 standard library only.
"""

import os
import platform
import statistics
import sys

GOAL_STATUS_MS = 100.0
GOAL_TURN_MS = 1000.0
# Memory counts as flat when it grew after the warm-up by at most this
# fraction of its after-warm-up size, or by at most FLAT_MIN_KIB (allocator
# noise on a small process).
FLAT_FRACTION = 0.05
FLAT_MIN_KIB = 2048


def clock(seconds):
    seconds = int(seconds)
    return "%d:%02d" % (seconds // 60, seconds % 60)


def slope_per_minute(samples):
    """Least-squares slope of [(seconds, kib), ...] in KiB a minute."""
    if len(samples) < 2:
        return None
    xs = [t / 60.0 for t, _ in samples]
    ys = [v for _, v in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else None


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[i]


def memory_report(samples, warmup_s):
    """start / after warm-up / end of one process's samples [(t, rss, hwm)]."""
    if not samples:
        return None
    warm = [s for s in samples if s[0] >= warmup_s] or samples[-1:]
    w, e = warm[0], samples[-1]
    slope = slope_per_minute([(t, rss) for t, rss, _ in warm])
    growth = e[1] - w[1]
    return {
        "start_kib": samples[0][1], "warm_kib": w[1], "warm_at_s": w[0], "end_kib": e[1],
        "end_hwm_kib": e[2], "growth_after_warmup_kib": growth,
        "slope_kib_per_min": round(slope, 1) if slope is not None else None,
        "flat": growth <= max(FLAT_MIN_KIB, FLAT_FRACTION * w[1]),
        "samples": [[t, rss] for t, rss, _ in samples],
    }


def heap_report(samples, warmup_s):
    """start / after warm-up / end of a node's status.memory samples
    [(t, in_use, free)], in KiB."""
    warm = [s for s in samples if s[0] >= warmup_s] or samples[-1:]
    w, e = warm[0], samples[-1]
    slope = slope_per_minute([(t, used) for t, used, _ in warm])
    return {
        "start_in_use_kib": samples[0][1], "warm_in_use_kib": w[1], "end_in_use_kib": e[1],
        "end_free_kib": e[2], "max_free_kib": max(f for _, _, f in samples),
        "slope_kib_per_min": round(slope, 1) if slope is not None else None,
        "samples": [[t, used, free] for t, used, free in samples],
    }


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "system": platform.platform()}


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return None


def build_report(soak, end, started_at):
    a = soak.args
    per_node = {p.node.name: p.summary() for p in soak.pollers}
    all_lat = sorted(v for p in soak.pollers for v in p.latencies_ms)
    turns = [s["main_loop"] for s in per_node.values() if s["main_loop"]]
    st = soak.adv_stats or {"kinds": {}, "identities": 0}
    kinds = st.get("kinds", {})
    refused = soak.refusals([p.last for p in soak.pollers])
    by_reason = {}
    for name, k in kinds.items():
        r = by_reason.setdefault(k["reason"], {"kinds": [], "sent": 0, "skipped": 0,
                                               "refused_by_nodes": refused.get(k["reason"], 0)})
        r["kinds"].append(name)
        r["sent"] += k["items"]
        r["skipped"] += k.get("not_ready", 0) + k.get("over_budget", 0)
    failures = list(soak.failures)
    for name, d in soak.deaths.items():
        failures.append("%s exited (status %s) at %s" % (name, d["exit"], clock(d["at_s"])))
    for name, s in per_node.items():
        if s["failed"]:
            failures.append("%s: %d status poll(s) failed (first: %s at %s)" % (
                name, s["failed"], s["failures"][0]["what"], clock(s["failures"][0]["at_s"])))
    inv = end["invalid_accepted"]
    if inv["blocks"] or inv["transactions"]:
        failures.append("invalid blocks accepted: %d, invalid transactions accepted: %d" % (
            inv["blocks"], inv["transactions"]))
    memory = {p.name: memory_report(soak.mem.get(p.name, []), a.warmup)
              for p in soak.net.procs if p.name in soak.mem}
    node_mem = [memory[n.name] for n in soak.nodes if memory.get(n.name)]
    heap = {name: heap_report(samples, a.warmup) for name, samples in soak.heap.items() if samples}
    longest_turn = max((t["longest_turn_ms"] for t in turns), default=None)
    return {
        "command": "scripts/soak.py " + " ".join(sys.argv[1:]),
        "started_utc": started_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine(),
        "load_average": {"start": soak.load_start, "end": loadavg()},
        "config": {"minutes": a.minutes, "nodes": a.nodes, "threads_per_node": a.threads,
                   "network": "demo", "adversary_rate": a.adversary_rate, "warmup_s": a.warmup,
                   "interval_s": a.interval, "poll_timeout_s": a.poll_timeout},
        "elapsed_s": round(soak.elapsed, 1),
        "interrupted": soak.interrupted,
        "status": {
            "polls": len(all_lat),
            "failed": sum(s["failed"] for s in per_node.values()),
            "max_ms": round(all_lat[-1], 3) if all_lat else None,
            "p50_ms": round(percentile(all_lat, 50), 3) if all_lat else None,
            "p99_ms": round(percentile(all_lat, 99), 3) if all_lat else None,
            "busy": sum(s["busy"] for s in per_node.values()),
            "nodes": per_node,
        },
        "main_loop": {"reported": bool(turns), "longest_turn_ms": longest_turn},
        "blocks": end["blocks"],
        "attacks": {"sent": sum(k["items"] for k in kinds.values()),
                    "identities": st.get("identities", 0), "funding_sent": st.get("funding_sent", 0),
                    "funded": st.get("funded"),
                    "by_kind": {name: dict({f: k.get(f) for f in ("reason", "sent", "items",
                                                                  "not_ready", "over_budget")},
                                           ids_collected=len(soak.attack_ids.get(name, ())))
                                for name, k in kinds.items()},
                    "by_reason": by_reason, "refused_by_nodes": refused},
        "invalid_accepted": inv,
        "checks": end["checks"],
        "memory": memory,
        "heap": heap,
        "deaths": soak.deaths,
        "failures": failures,
        "goals": {
            "status_under_100ms": bool(all_lat) and all_lat[-1] < GOAL_STATUS_MS,
            "main_loop_turns_under_1s": (longest_turn < GOAL_TURN_MS
                                         if longest_turn is not None else None),
            "memory_flat_after_warmup": all(m["flat"] for m in node_mem) if node_mem else None,
        },
    }


def print_summary(r, path):
    def ms(v):
        return "%.1f ms" % v if v is not None else "n/a"

    c = r["config"]
    print()
    print("== soak: %s of %s%s; %d demo nodes x %d mining thread(s), adversary --rate %s "
          "--attacks all" % (clock(r["elapsed_s"]), clock(c["minutes"] * 60),
                             " (interrupted)" if r["interrupted"] else "", c["nodes"],
                             c["threads_per_node"], c["adversary_rate"]))
    print("   machine: %s, %d cores; started %s; load average %s at start, %s at end" % (
        r["machine"]["cpu"], r["machine"]["nproc"], r["started_utc"],
        r["load_average"]["start"], r["load_average"]["end"]))
    s = r["status"]
    print()
    print("status answers (round trip on a persistent connection, every %g s per node): "
          "%d polls, %d failed, %d busy" % (c["interval_s"], s["polls"], s["failed"], s["busy"]))
    print("   longest %s, p99 %s, median %s" % (ms(s["max_ms"]), ms(s["p99_ms"]), ms(s["p50_ms"])))
    for name, n in s["nodes"].items():
        ml = n["main_loop"]
        print("   %-8s longest %-10s p99 %-10s polls %-5d failed %d%s%s" % (
            name, ms(n["max_ms"]), ms(n["p99_ms"]), n["polls"], n["failed"],
            "; main-loop turn longest %d ms (%s)" % (ml["longest_turn_ms"], ml["where"] or "?")
            if ml else "; main loop: n/a",
            "".join("\n            NOT ANSWERING: status sent at %s %s %.0f s" % (
                clock(x["sent_at_s"]), "answered after" if x["answered"] else "still unanswered after",
                x["seconds"]) for x in n["stalls"])))
    lt = r["main_loop"]["longest_turn_ms"]
    print("longest main-loop turn: %s" % ("%d ms" % lt if lt is not None else
                                          "n/a (the nodes do not report main_loop)"))
    b = r["blocks"]
    print()
    print("honest blocks made (best chain of %s, by coinbase address): %s of height %s (%s); "
          "other blocks %s (adversary funding blocks sent: %s)" % (
              b["from_node"] or "-", b["honest"], b["height"],
              ", ".join("%s %d" % kv for kv in sorted(b["by_node"].items())) or "-",
              b["other"], b["funding_sent"]))
    at = r["attacks"]
    print("attacks sent: %d items under %d identities%s. Refused by the nodes, by reason (summed "
          "over nodes: one attack reaches every node, until they ban its sender; orphan and "
          "stale-fork also come from honest races); skipped: kinds not ready yet or needing more "
          "work than the adversary's --work-budget:" % (
              at["sent"], at["identities"],
              "" if at["funded"] else " (never funded: its funding block did not stay on the "
              "chain, so the kinds that spend its coins were not ready)"))
    print("   %-28s %9s %9s %9s   %s" % ("reason", "refused", "sent", "skipped", "kinds"))
    for reason, x in sorted(at["by_reason"].items()):
        print("   %-28s %9d %9d %9d   %s" % (reason, x["refused_by_nodes"], x["sent"],
                                           x["skipped"], ", ".join(x["kinds"])))
    inv = r["invalid_accepted"]
    valid = sum(1 for c in r["checks"].values() if (c.get("verifychain") or {}).get("valid"))
    print("invalid blocks accepted: %d; invalid transactions accepted: %d (verifychain passed on "
          "%d of %d nodes; %d distinct attack ids (of %d items sent, repeats included; %d possibly "
          "missed between two reads of the adversary's stats) looked for in every checked node's "
          "best chain and mempool; without an id of their own: %s)" % (
              inv["blocks"], inv["transactions"], valid, len(r["checks"]),
              inv["attack_ids_checked"], inv["attack_items_sent"],
              inv["attack_ids_possibly_missed"],
              ", ".join(inv["kinds_without_ids"] + inv["kinds_reusing_valid_ids"]) or "none"))
    for d in inv["details"][:10]:
        print("   " + d)
    unchecked = [n for n, c in r["checks"].items() if not c.get("checked")]
    if unchecked:
        print("   NOT CHECKED (not answering or dead): " + ", ".join(unchecked))
    print()
    print("memory (VmRSS MiB: start / after warm-up / end; VmHWM at end; slope after warm-up):")
    for name, m in r["memory"].items():
        if m:
            slope = m["slope_kib_per_min"]
            print("   %-10s %6.1f / %6.1f / %6.1f   HWM %6.1f   %11s KiB/min   %s" % (
                name, m["start_kib"] / 1024.0, m["warm_kib"] / 1024.0, m["end_kib"] / 1024.0,
                m["end_hwm_kib"] / 1024.0, "%+.1f" % slope if slope is not None else "n/a",
                "flat" if m["flat"] else "GROWING"))
    if r.get("heap"):
        print("held by the node (status.memory in use, MiB: start / after warm-up / end; "
              "free in its heaps at end and at most; slope after warm-up):")
        for name, h in sorted(r["heap"].items()):
            slope = h["slope_kib_per_min"]
            print("   %-10s %6.1f / %6.1f / %6.1f   free %5.1f (max %5.1f)   %11s KiB/min" % (
                name, h["start_in_use_kib"] / 1024.0, h["warm_in_use_kib"] / 1024.0,
                h["end_in_use_kib"] / 1024.0, h["end_free_kib"] / 1024.0,
                h["max_free_kib"] / 1024.0, "%+.1f" % slope if slope is not None else "n/a"))
    g = r["goals"]

    def verdict(v):
        return "n/a" if v is None else ("met" if v else "NOT MET")
    print()
    print("goals: status answer < 100 ms %s; main-loop turns < 1 s %s; memory flat after warm-up "
          "(growth <= max(2 MiB, 5 %%)) %s" % (
              verdict(g["status_under_100ms"]), verdict(g["main_loop_turns_under_1s"]),
              verdict(g["memory_flat_after_warmup"])))
    if r["failures"]:
        print("FAILED:")
        for f in r["failures"]:
            print("   " + f)
    else:
        print("no failure: no invalid block accepted, no node died, every status poll answered")
    print("report: %s" % path)
