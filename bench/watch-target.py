# The watched target of bench/watch-overhead.ts: holds RESIDENT MiB (touched, so it is RSS, and a
# smaps walk has that many pages to visit), then runs a fixed CPU + allocation loop — small objects
# (pymalloc) and 256 KiB blocks (glibc: mmap/munmap or heap growth, which take the mmap lock a
# smaps reader holds) — and appends "<ms> <iterations>" to its stdout every 100 ms.
import os
import sys
import time

resident_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 0
hold = bytearray(resident_mib * 1024 * 1024)
for i in range(0, len(hold), 4096):
    hold[i] = 1
print("ready", os.getpid(), flush=True)
if len(sys.argv) > 2 and sys.argv[2] == "idle":
    while True:
        time.sleep(3600)
count = 0
next_report = time.monotonic() + 0.1
while True:
    words = [str(i) for i in range(200)]
    block = bytearray(256 * 1024)
    block[::4096] = b"\x01" * 64
    count += 1
    if count % 64 == 0 and time.monotonic() >= next_report:
        print(int(time.monotonic() * 1000), count, flush=True)
        next_report += 0.1
