"""The patched KVM's kernel log reports (kernel/patches, kvm.exit_stats_log_every),
as the testbed checks read them."""
import re


def parse_reports(lines, isa):
    """[[header, {code: count}], ...] of the CMPE283 lines, in order. A header:
    total, pid, vcpu, skipped (due reports not printed), final (the vCPU's last,
    printed when some were skipped). Codes are ints; "unknown" counts the
    reasons without a slot of their own."""
    out = []
    for line in lines:
        h = re.search(r"CMPE283: " + isa.upper() + r" Exit Stats \(total=(\d+)\) pid=(\d+) vcpu=(\d+)"
                      r"(?: skipped=(\d+))?( final)?$", line)
        if h:
            out.append([{"total": int(h.group(1)), "pid": int(h.group(2)), "vcpu": int(h.group(3)),
                         "skipped": int(h.group(4) or 0), "final": bool(h.group(5))}, {}])
            continue
        e = re.search(r"CMPE283: exit (0x[0-9a-f]+|-?\d+|unknown) count=(\d+)$", line)
        if e and out:
            out[-1][1][e.group(1) if e.group(1) == "unknown" else int(e.group(1), 0)] = int(e.group(2))
    return out
