#!/usr/bin/env python3
"""Where a `runhooks worker`'s CPU goes, by layer, from a perf recording.

    perf script -i perf.data -F tid,ip,sym,dso | python3 bench/perf_layers.py

Recorded by `PERF=1 bash bench/worker_bench.sh` (perf record --call-graph
dwarf, so that stacks unwind through libcurl, SQLite and OpenSSL). Every
sample is one unit of the worker's CPU time. Prints, per thread, the share of
its samples:

  * by phase of the delivery loop: the outermost runhooks frame that says
    what the loop was doing (its transfers, claiming, starting requests,
    writing completions, ...), split further where it helps;
  * by where the time was finally spent (the leaf): the kernel (by the
    system call it came through), malloc/free, SQLite, libcurl, OpenSSL,
    runhooks' own code, the C++ library;
  * the top leaf functions, and the top runhooks functions by inclusive time.
"""
import collections
import re
import sys


def read_samples(stream):
    tid, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if tid is not None:
                yield tid, frames
            tid, frames = None, []
            continue
        if not line.startswith("\t") and not line.startswith("        "):
            tid, frames = line.split()[0], []
            continue
        m = re.match(r"\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)$", line)
        if m:
            frames.append((m.group(2), m.group(3)))
    if tid is not None:
        yield tid, frames


def has(frames, *names):
    return any(any(n in sym for n in names) for sym, _ in frames)


def below(frames, name):
    """The frames above (leafward of) the outermost frame whose symbol holds name."""
    for i in range(len(frames) - 1, -1, -1):
        if name in frames[i][0]:
            return frames[:i]
    return None


def phase(frames):
    if has(frames, "WalCheckpointer", "sqlite3_wal_checkpoint", "sqlite3WalCheckpoint"):
        return "WAL checkpoint (checkpointer thread)"
    if has(frames, "CurlTransport::poll"):
        f = below(frames, "CurlTransport::poll")
        if has(f, "CurlTransport::complete_finished") and not has(f, "curl_multi_perform", "curl_multi_poll"):
            return "transfer: completing (finish, Transfer freed, callback)"
        if has(f, "curl_multi_poll"):
            return "transfer: curl_multi_poll (waiting, wakeups)"
        if has(f, "on_header"):
            return "transfer: response header capture (on_header)"
        return "transfer: curl_multi_perform (libcurl + kernel TCP)"
    if has(frames, "DeliveryLoop::write_settled", "AttemptWriter::write", "SqliteStorage::complete_attempts"):
        if has(frames, "DeliveryLoop::after_written"):
            return "completion: after_written (stats, AttemptReport, on_attempt)"
        if has(frames, "complete_attempts"):
            f = below(frames, "complete_attempts")
            if has(f, "Transaction::commit"):
                return "completion: COMMIT (WAL frames written)"
            if has(f, "encode_headers"):
                return "completion: attempt insert: encode_headers (JSON)"
            if has(f, "insert_attempt"):
                return "completion: attempt insert (SQLite)"
            if has(f, "store_delivery"):
                return "completion: delivery UPDATE (SQLite)"
            if has(f, "load_delivery"):
                return "completion: delivery read (SQLite)"
            if has(f, "Transaction::begin"):
                return "completion: BEGIN IMMEDIATE"
            if has(f, "health", "store_health", "HealthChanges"):
                return "completion: hook health"
            if has(f, "hooks_version", "validate"):
                return "completion: hooks_version"
            return "completion: complete_attempts other"
        return "completion: AttemptWriter other"
    if has(frames, "DeliveryLoop::claim"):
        f = below(frames, "DeliveryLoop::claim")
        if has(f, "SqliteStorage::claim_due"):
            g = below(f, "SqliteStorage::claim_due")
            if has(g, "Transaction::commit"):
                return "claim: COMMIT"
            if has(g, "Transaction::begin"):
                return "claim: BEGIN IMMEDIATE"
            if has(g, "Statement::run"):
                return "claim: lease UPDATE (SQLite)"
            if has(g, "attach_endpoints", "snapshot", "HookSnapshots", "load_hook"):
                return "claim: endpoint snapshots"
            if has(g, "read_delivery", "read_event", "column_text"):
                return "claim: rows decoded (copies)"
            if has(g, "json_string_array"):
                return "claim: skip-hooks JSON"
            if has(g, "hooks_version"):
                return "claim: hooks_version"
            if has(g, "sqlite3"):
                return "claim: due SELECT (SQLite)"
            return "claim: claim_due other"
        if has(f, "build_request"):
            if has(f, "signature_header", "sign_webhook", "hmac", "Hmac"):
                return "start: HMAC signing (OpenSSL, base64)"
            if has(f, "webhook_id"):
                return "start: webhook_id"
            return "start: request headers built"
        if has(f, "CurlTransport::send"):
            if has(f, "curl_multi_add_handle"):
                return "start: curl_multi_add_handle"
            if has(f, "configure"):
                return "start: curl handle configured (setopt, header list)"
            return "start: CurlTransport::send other (Transfer alloc)"
        if has(f, "DeliveryLoop::send", "DeliveryLoop::start"):
            return "start: loop bookkeeping (in_flight, slots)"
        return "claim: other"
    if has(frames, "DeliveryLoop::collect_finished"):
        f = below(frames, "DeliveryLoop::collect_finished")
        if has(f, "new_attempt", "time_ordered_uuid"):
            return "collect: attempt id (uuid)"
        if has(f, "settle"):
            return "collect: settle (Attempt built)"
        if has(f, "free_slot", "EndpointSlots"):
            return "collect: endpoint slots"
        return "collect: other (in_flight map, moves)"
    if has(frames, "Retention", "purge_"):
        return "retention"
    if has(frames, "DeliveryLoop::iterate"):
        return "iterate: other"
    if has(frames, "DeliveryLoop::run"):
        return "run: other"
    if has(frames, "DeliveryLog", "summary"):
        return "logging"
    return "not unwound to a runhooks frame"


SYSCALLS = ["send", "recv", "poll", "pwrite", "pread", "write", "read", "fdatasync", "fsync", "futex", "epoll",
            "clock_gettime", "fcntl", "getpid", "socket", "connect", "close"]


def leaf(frames):
    if not frames:
        return "?"
    sym = frames[0][0]
    # An inlined frame names no object: the first real frame at or below it does.
    dso = next((d for _, d in frames if d != "inlined"), "?")
    if "kernel" in dso:
        for s, d in frames:
            if "kernel" in d:
                continue
            name = s.replace("__libc_", "").replace("__GI___", "").replace("__", "")
            for call in SYSCALLS:
                if call in name:
                    return f"kernel: {call}"
            return f"kernel: via {s}"
        # No user frame: an interrupt, or the scheduler.
        return "kernel: other (interrupts, scheduling)"
    if "libc.so" in dso:
        if re.search(r"malloc|free|_int_|calloc|realloc|unlink_chunk|tcache|consolidate|cfree|arena|chunk", sym):
            return "allocation (malloc/free)"
        if re.search(r"mem(move|cpy|set|cmp)|str", sym):
            return "libc: memory/string"
        if "pthread_mutex" in sym or "lll_" in sym:
            return "libc: mutexes"
        return "libc: other"
    if "libsqlite3" in dso:
        return "SQLite"
    if "libcurl" in dso:
        return "libcurl"
    if "libcrypto" in dso or "libssl" in dso:
        return "OpenSSL"
    if "libstdc++" in dso:
        return "libstdc++"
    if "vdso" in dso:
        return "vdso (clock)"
    if "libz" in dso or "libnghttp" in dso or "libidn" in dso or "libpsl" in dso:
        return "libcurl's dependencies"
    return "runhooks' own code"


def short(sym):
    sym = re.sub(r"\(.*", "", sym)
    return sym.replace("runhooks::", "").replace("(anonymous namespace)::", "")


def main():
    by_tid = collections.defaultdict(list)
    for tid, frames in read_samples(sys.stdin):
        by_tid[tid].append(frames)
    total = sum(len(s) for s in by_tid.values())
    print(f"{total} samples")
    for tid, samples in sorted(by_tid.items(), key=lambda kv: -len(kv[1])):
        n = len(samples)
        kind = "delivery thread" if any(has(f, "DeliveryLoop::run") for f in samples[:200]) else "other thread"
        print(f"\n=== tid {tid} ({kind}): {n} samples, {100 * n / total:.1f}% of the worker's")
        for title, classify in (("phase", phase), ("leaf layer", leaf)):
            counts = collections.Counter(classify(f) for f in samples)
            print(f"--- by {title}")
            if title == "phase":
                groups = collections.Counter()
                for key, c in counts.items():
                    groups[key.split(":")[0]] += c
                for key, c in groups.most_common():
                    print(f"  {100 * c / n:5.1f}%  {key} (total)")
                print()
            for key, c in counts.most_common():
                if 100 * c / n >= 0.3:
                    print(f"  {100 * c / n:5.1f}%  {key}")
        print("--- top leaf functions")
        leaves = collections.Counter(
            (short(f[0][0]), next((d for _, d in f if d != "inlined"), "?").split("/")[-1]) for f in samples if f)
        for (sym, dso), c in leaves.most_common(25):
            print(f"  {100 * c / n:5.1f}%  {sym}  [{dso}]")
        print("--- runhooks functions, inclusive")
        incl = collections.Counter()
        for f in samples:
            seen = {short(s) for s, d in f if "runhooks::" in s}
            incl.update(seen)
        for sym, c in incl.most_common(45):
            print(f"  {100 * c / n:5.1f}%  {sym}")


if __name__ == "__main__":
    main()
