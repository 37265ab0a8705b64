"""What bench/backup.py prints once it has measured, and its verdict (bench/verdicts.py says how
the targets are judged)."""
import statistics

from verdicts import added_seconds, interval, judge_statements, own_share

median = statistics.median


def report(args, measured, samples, statements, hashing, backups_rows, backups_read, throttled, peak):
    """Prints the figures and returns the exit status: 0 when every target is met.
    `measured`: per table ("big", "tiny"), its size in words and the measure's wall times,
    driver times, plugin phases and ClickHouse's times; `statements`: the stack's query logs
    and the ids of the plugin's statements (``verdicts.judge_statements``); `throttled`:
    seconds, the table's bytes, the limit."""
    wall_table(measured)
    wall_low = wall_intervals(measured, samples)
    verdicts = [judge_statements(*statements)]
    verdicts += judged_targets(measured, wall_low)
    print(f"every run's wall and engine time: {args.samples}")
    findings(args, measured, hashing, backups_rows, backups_read)
    seconds, big_bytes, limit = throttled
    # ClickHouse's throttler lets one second's worth through at once, then keeps the rate.
    implied = big_bytes / limit - 1
    print(f"throttled backup of {args.rows:,} rows ({big_bytes / 1e6:.0f} MB at max_backup_bandwidth={limit / 1e6:.1f} MB/s): "
          f"{seconds:.2f} s, the limit implies >= {implied:.2f} s: " + ("met" if seconds >= 0.9 * implied else "MISSED"))
    verdicts.append(seconds >= 0.9 * implied)
    print(f"\nplugin peak RSS (VmHWM) over the whole run: {peak / 1024:.1f} MiB (target < 30)")
    verdicts.append(peak / 1024 < 30)
    print("targets: big-table ratio <= 1.05 and tiny-table added < 30 ms (ClickHouse's own time equal, the same statements), "
          "throttled time, RSS < 30 MiB: " + ("met" if all(verdicts) else "MISSED"))
    return 0 if all(verdicts) else 1


def wall_table(measured):
    print("\nwall time, median of runs [min..max]; 'driver' = wall time minus ClickHouse's own time for the "
          "operation (system.backups end_time - start_time): what the caller adds\n")
    print(f"{'':24} {'raw SQL':>18} {'plugin':>18} {'ratio':>7} {'added':>8} {'raw driver':>11} {'plugin driver':>14}")
    spread = lambda values: f"{1000 * median(values):>5.0f}ms [{1000 * min(values):.0f}..{1000 * max(values):.0f}]"
    for size, walls, drivers, _, _ in measured.values():
        for label in ("backup", "restore"):
            raw, ours = walls[f"raw {label}"], walls[f"plugin {label}"]
            print(f"{label + ' ' + size:24} {spread(raw):>18} {spread(ours):>18} {median(ours) / median(raw):>6.3f}x "
                  f"{1000 * (median(ours) - median(raw)):>6.0f}ms {1000 * median(drivers[f'raw {label}']):>9.0f}ms "
                  f"{1000 * median(drivers[f'plugin {label}']):>12.0f}ms")


def wall_intervals(measured, samples):
    """Prints each wall figure with its 90% interval beside ClickHouse's own time for the same
    statements, plugin / raw; returns the low end of each wall figure's interval."""
    print("\nthe wall figures with their 90% interval (bootstrap of the runs), and ClickHouse's own time for the "
          "same statements, plugin / raw: the noise the targets are judged apart from (bench/verdicts.py)")
    wall_low = {}
    for table, (size, walls, _, _, _) in measured.items():
        for label in ("backup", "restore"):
            raw, ours = walls[f"raw {label}"], walls[f"plugin {label}"]
            raw_engine, plugin_engine = ([sample["engine"] for sample in samples if sample["table"] == table and sample["label"] == f"{side} {label}"]
                                         for side in ("raw", "plugin"))
            engine_low, engine_high = interval(raw_engine, plugin_engine, lambda a, b: b / a)
            if table == "tiny":
                low, high = interval(raw, ours, lambda a, b: 1000 * (b - a))
                wall = f"added {1000 * (median(ours) - median(raw)):.0f} ms, 90% in [{low:+.0f}..{high:+.0f}] ms"
            else:
                low, high = interval(raw, ours, lambda a, b: b / a)
                wall = f"{median(ours) / median(raw):.3f}x, 90% in [{low:.3f}..{high:.3f}]x ({len(raw)} runs a side)"
            wall_low[table, label] = low
            print(f"{label + ' ' + size:24} wall {wall}; ClickHouse's own time {median(plugin_engine) / median(raw_engine):.3f}x, "
                  f"90% in [{engine_low:.3f}..{engine_high:.3f}]x")
    return wall_low


def judged_targets(measured, wall_low):
    """The targets, on what the plugin adds with ClickHouse's own time equal on both sides. Each
    also needs its wall figure not to contradict it: the low end of the wall figure's 90%
    interval within the target (a plugin that slowed ClickHouse's own work in a way the
    statements do not show would push the whole interval past it)."""
    print("\nwhat the plugin adds, ClickHouse's own time equal on both sides (raw wall + plugin driver - raw driver)")
    verdicts = []
    for table, (size, walls, drivers, _, _) in measured.items():
        for label in ("backup", "restore"):
            raw, raw_driver, plugin_driver = walls[f"raw {label}"], drivers[f"raw {label}"], drivers[f"plugin {label}"]
            low = wall_low[table, label]
            if table == "tiny":
                added = 1000 * added_seconds(raw_driver, plugin_driver)
                if label == "backup":
                    print(f"{label + ' ' + size:24} added {added:.0f} ms (target < 30; wall interval from {low:+.0f} ms)")
                    verdicts += [added < 30, low < 30]
                else:
                    print(f"{label + ' ' + size:24} added {added:.0f} ms")
            else:
                share = own_share(raw, raw_driver, plugin_driver)
                print(f"{label + ' ' + size:24} {share:.3f}x (target <= 1.05; wall interval from {low:.3f}x)")
                verdicts += [share <= 1.05, low <= 1.05]
    return verdicts


def findings(args, measured, hashing, backups_rows, backups_read):
    """What is printed to explain the figures, not judged."""
    for size, _, _, phases, _ in measured.values():
        for verb, found in phases.items():
            print(f"plugin phases, {verb} {size}: " + ", ".join(f"{name} {median(values):.0f}" for name, values in sorted(found.items())))
    for size, _, _, _, engine in measured.values():
        sync, asynchronous = median(engine["sync"]), median(engine["async"])
        print(f"ClickHouse's own time for the backup of {size}: sync {1000 * sync:.0f} ms, ASYNC {1000 * asynchronous:.0f} ms "
              f"({asynchronous / sync:.3f}x; what a backup over --inline-backup-mib, sent ASYNC, costs the engine)")
    for size, walls, _, _, _ in measured.values():
        sync, followed = median(walls["raw restore"]), median(walls["raw async restore"])
        print(f"a raw ASYNC restore of {size} followed by the least a caller can do (a look in system.processes at the plugin's "
              f"pace, one read of system.backups): {1000 * followed:.0f} ms, {followed / sync:.3f}x the raw synchronous one")
    big_walls, tiny_drivers = measured["big"][1], measured["tiny"][2]
    print(f"fingerprint=data on {args.rows:,} rows: count() and sum(cityHash64(*)) take {1000 * hashing:.0f} ms "
          f"({hashing / median(big_walls['raw backup']):.2f}x the raw backup's time); fingerprint=rows reads system.tables only")
    print(f"one read of system.backups (each poll is one): {1000 * median(backups_read):.1f} ms with {backups_rows} rows in it, "
          f"against {1000 * median(tiny_drivers['raw backup']):.0f} ms for the raw side's whole driver")
