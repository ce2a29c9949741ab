"""A memtide worker for CPython: `python3 python-worker.py '<spec json>'`.

Walks the phases of one experiment and reports each edge, with CPython's own figures, to the server
as JSON lines on fd 3 (the protocol of shared/protocol/worker.ts WorkerMessage). After each phase end it
waits for one byte on stdin: the server reads /proc/PID/smaps while the worker stands still.
Standard library only: RSS is sampled from outside, so nothing like psutil is needed.
"""
import gc
import json
import os
import platform
import re
import sys
import time

REPORT_FD = 3
REPORT_EVERY_MS = 50
BASELINE_MS = 300
SETTLE_MS = 1000
MASK = 0x3FFF  # check the clock every 16k items: cheap, and well under 50 ms apart
KNOB_ENV = ('MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX', 'PYTHONMALLOC', 'LD_PRELOAD', 'MALLOC_CONF')
PAGE = os.sysconf('SC_PAGE_SIZE')


def now():
    return time.time() * 1000


def report(message):
    line = (json.dumps(message, separators=(',', ':')) + '\n').encode()
    while line:
        line = line[os.write(REPORT_FD, line):]


def own_rss():
    with open('/proc/self/statm', 'rb') as f:
        return int(f.read().split()[1]) * PAGE


def malloc_stats_text():
    """sys._debugmallocstats() writes to C stderr: catch it through a memfd on fd 2."""
    if not hasattr(sys, '_debugmallocstats'):
        return ''
    sink = os.memfd_create('memtide-mallocstats') if hasattr(os, 'memfd_create') else None
    if sink is None:
        return ''
    saved = os.dup(2)
    try:
        os.dup2(sink, 2)
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    size = os.lseek(sink, 0, os.SEEK_END)
    text = os.pread(sink, size, 0).decode('utf-8', 'replace')
    os.close(sink)
    return text


ARENA_LINE = re.compile(r'^# arenas allocated (total|current)\s*=\s*([\d,]+)', re.M)


def parse_arenas(text):
    """{'total': n, 'current': n} from _debugmallocstats; empty when pymalloc is off (PYTHONMALLOC=malloc)."""
    return {m.group(1): int(m.group(2).replace(',', '')) for m in ARENA_LINE.finditer(text)}


PYMALLOC = bool(parse_arenas(malloc_stats_text()))


def heap_figures(phase_edge=False):
    figures = {'rss': own_rss(), 'gcCount': list(gc.get_count())}
    if PYMALLOC:  # under PYTHONMALLOC=malloc the count stays 0: n/a rather than a false 0
        figures['allocatedBlocks'] = sys.getallocatedblocks()
    if phase_edge and PYMALLOC:
        arenas = parse_arenas(malloc_stats_text())
        if 'current' in arenas:
            figures['arenasInUse'] = arenas['current']
        if 'total' in arenas:
            figures['arenasAllocatedTotal'] = arenas['total']
    return figures


last_report = 0.0
current = None


def tick(value=None):
    """Reports the heap at most every 50 ms; returns value so it can sit inside a comprehension."""
    global last_report
    t = now()
    if t - last_report >= REPORT_EVERY_MS:
        last_report = t
        report({'type': 'heap', 't': t, 'heap': heap_figures()})
    return value


def edge(phase, which):
    global current, last_report
    if which == 'start':
        current = phase
    heap = heap_figures(phase_edge=True)
    last_report = now()
    report({'type': 'phase', 'phase': phase, 'edge': which, 't': last_report, 'heap': heap})
    if which == 'end' and os.read(0, 1) == b'':
        raise SystemExit('the server closed the acknowledgement pipe')


def idle(ms):
    until = now() + ms
    while now() < until:
        time.sleep(max(0.0, min(REPORT_EVERY_MS, until - now())) / 1000)
        tick()


# ---- the experiments: allocate(params) returns the only reference; unreference(data) what survives ----
# The `if i & MASK else tick(...)` inside comprehensions reports every 16k items without a function
# call per item, so each list is still built the way the plain comprehension builds it.

def seed(p):
    n = p['n']
    return ['abc' if x & MASK else tick('abc') for x in range(n)]


def unique_ints(p):
    # list(range(N)), filled in chunks so the worker can report: same N slots, same N int objects.
    n, chunk = p['n'], MASK + 1
    out = [None] * n
    for i in range(0, n, chunk):
        out[i:i + chunk] = range(i, min(n, i + chunk))
        tick()
    return out


def small_dicts(p):
    n = p['n']
    return [{'a': i, 'b': i + 1} if i & MASK else tick({'a': i, 'b': i + 1}) for i in range(n)]


def some_bytes(p):
    n, size = p['n'], p['size']
    # bytes([v]) * size is built at run time (a literal would be one constant) and writes every byte.
    return [bytes([i & 0xFF]) * size if i & 0x3F else tick(bytes([i & 0xFF]) * size) for i in range(n)]


def drop_all(_data, _p):
    return None


def keep_every(data, p):
    return data[::p['keepEvery']]


def keep_last(data, _p):
    # One live chunk at the top of the brk heap, as any later allocation of a real program would be:
    # glibc trims only free space at the top, so everything below stays mapped.
    return data[-1:]


EXPERIMENTS = {
    'py-seed': (seed, drop_all),
    'py-unique-ints': (unique_ints, drop_all),
    'py-small-objects': (small_dicts, drop_all),
    'py-fragmentation': (small_dicts, keep_every),
    'py-medium-bytes': (some_bytes, keep_last),
    'py-large-bytes': (some_bytes, drop_all),
}


def parse_spec(text):
    spec = json.loads(text)
    if not isinstance(spec, dict) or not isinstance(spec.get('experiment'), str):
        raise ValueError('bad spec: experiment must be a string')
    params = spec.get('params') or {}
    for name, value in params.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f'bad spec: params.{name} must be an integer')
    return spec['experiment'], params, spec.get('trim') is True


def load_malloc_trim():
    # Loaded before baseline so ctypes' own memory is part of the baseline, not of the trim phase.
    import ctypes
    libc = ctypes.CDLL('libc.so.6')
    trim = libc.malloc_trim
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def main():
    experiment, params, trim = parse_spec(sys.argv[1] if len(sys.argv) > 1 else 'null')
    if experiment not in EXPERIMENTS:
        raise ValueError(f'unknown experiment {experiment}')
    allocate, unreference = EXPERIMENTS[experiment]
    malloc_trim = load_malloc_trim() if trim else None
    report({
        'type': 'ready', 't': now(), 'pid': os.getpid(), 'runtime': 'python', 'version': platform.python_version(),
        'env': {k: os.environ[k] for k in KNOB_ENV if k in os.environ},
        'objectAllocator': 'pymalloc' if PYMALLOC else 'malloc',
    })

    edge('baseline', 'start')
    idle(BASELINE_MS)
    gc.collect()
    edge('baseline', 'end')

    edge('allocate', 'start')
    data = allocate(params)
    edge('allocate', 'end')

    edge('unreference', 'start')
    data = unreference(data, params)  # the seed's `del foo`: the list's last reference goes here
    edge('unreference', 'end')

    edge('collect', 'start')
    gc.collect()
    edge('collect', 'end')

    if malloc_trim:
        edge('trim', 'start')
        malloc_trim(0)
        edge('trim', 'end')

    edge('settle', 'start')
    idle(SETTLE_MS)
    edge('settle', 'end')

    # Survivors (fragmentation) stay referenced until the very end.
    if data is not None and len(data) < 0:
        print(data)
    report({'type': 'done', 't': now()})


if __name__ == '__main__':
    try:
        main()
    except BaseException as error:  # noqa: BLE001 - every failure is reported, then the exit code says it
        message = str(error) or type(error).__name__
        report({'type': 'error', 't': now(), 'message': message, **({'phase': current} if current else {})})
        sys.exit(1)
