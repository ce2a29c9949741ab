"""A memtide worker for CPython: `python3 python-worker.py '<spec json>'`.

Walks the phases its spec lists (the spec of shared/protocol/worker.ts WorkerSpec: experiment, params,
phases, baselineMs, settleMs, reportEveryMs) and reports each edge, with CPython's and the C
allocator's own figures, to the server as JSON lines on fd 3 (WorkerMessage). After each phase end it
waits for one byte on stdin: the server reads /proc/PID/smaps while the worker stands still.
Standard library only: RSS is sampled from outside, so nothing like psutil is needed. What this file
repeats from shared/ (experiment ids, knob variable names, phase names, spec fields) is checked by
shared/worker-agreement.test.ts. The experiments themselves are in python_experiments.py beside it.
"""
import builtins
import ctypes
import gc
import json
import os
import platform
import re
import sys
import time

from python_experiments import EXPERIMENTS

REPORT_FD = 3
KNOB_ENV = ('MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX', 'PYTHONMALLOC', 'LD_PRELOAD', 'MALLOC_CONF')
PHASES = ('baseline', 'allocate', 'unreference', 'collect', 'trim', 'settle')
PAGE = os.sysconf('SC_PAGE_SIZE')
CODE_FD = 4  # a custom run's code arrives on this descriptor (shared/custom/facts.ts)
CODE_FIELDS = ('setup', 'allocate', 'unreference')
MESSAGE_MAX = 2000  # a report line is at most 64 KiB: a huge exception message is cut


def now():
    return time.time() * 1000


def report(message):
    line = (json.dumps(message, separators=(',', ':')) + '\n').encode()
    while line:
        line = line[os.write(REPORT_FD, line):]


def own_rss():
    with open('/proc/self/statm', 'rb') as f:
        return int(f.read().split()[1]) * PAGE


# ---- pymalloc's own figures, from sys._debugmallocstats() (CPython Objects/obmalloc.c) ----

def malloc_stats_text():
    """sys._debugmallocstats() writes to C stderr: catch it through a memfd on fd 2."""
    if not hasattr(sys, '_debugmallocstats') or not hasattr(os, 'memfd_create'):
        return ''
    sink = os.memfd_create('memtide-mallocstats')
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


# "# arenas allocated current = 207", "207 arenas * 1048576 bytes/arena = 217,055,232",
# "# bytes in allocated blocks = 208,392,032", "12 unused pools * 16384 bytes = 196,608"
STATS_LINE = re.compile(r'^(# arenas allocated total|# arenas allocated current|\d+ arenas \* \d+ bytes/arena|'
                        r'# bytes in allocated blocks|# bytes in available blocks|\d+ unused pools \* \d+ bytes|'
                        r'# bytes lost to pool headers|# bytes lost to quantization)\s*=\s*([\d,]+)\s*$', re.M)


def parse_pymalloc(text):
    """The byte and arena lines of _debugmallocstats; empty when pymalloc is off (PYTHONMALLOC=malloc)."""
    out = {}
    for m in STATS_LINE.finditer(text):
        key = re.sub(r'^\d+ ', '', m.group(1))
        out[key] = int(m.group(2).replace(',', ''))
    return out


def pymalloc_figures(stats):
    # Free inside pymalloc: blocks in used pools, whole empty pools, and what pools lose to their
    # headers and size classes. "Arena alignment" is left out: that part of an arena is never touched.
    free = sum(v for k, v in stats.items() if k.startswith('unused pools') or k in (
        '# bytes in available blocks', '# bytes lost to pool headers', '# bytes lost to quantization'))
    arenas = sum(v for k, v in stats.items() if k.startswith('arenas *'))
    return {'allocated': stats.get('# bytes in allocated blocks', 0), 'free': free, 'arenas': arenas}


PYMALLOC = bool(parse_pymalloc(malloc_stats_text()))


# ---- the C allocator's own figures: glibc mallinfo2(), or jemalloc's mallctl under LD_PRELOAD ----

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ('arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost')]


ALL_ARENAS = 4096  # MALLCTL_ARENAS_ALL (jemalloc.net/jemalloc.3.html)


# malloc_info()'s XML (glibc malloc/malloc.c __malloc_info): per arena, the "fast" and "rest" free
# totals (rest counts the top chunk) and "system current", the arena's size. The first <heap> is
# the main arena, in the brk heap; the others are threads' arenas.
ARENA_TOTALS = {k: re.compile(v) for k, v in (('fast', r'<total type="fast" count="\d+" size="(\d+)"'),
                                               ('rest', r'<total type="rest" count="\d+" size="(\d+)"'),
                                               ('system', r'<system type="current" size="(\d+)"'))}


def parse_main_arena(xml):
    """(in use, free) of the main arena, read as server/workers/node-allocator.ts parseMainArena reads it."""
    start = xml.find('<heap nr="0">')
    if start < 0:
        return None
    heap = xml[start:xml.find('</heap>', start)]
    found = {k: r.search(heap) for k, r in ARENA_TOTALS.items()}
    if not all(found.values()):
        return None
    free = int(found['fast'].group(1)) + int(found['rest'].group(1))
    return max(0, int(found['system'].group(1)) - free), free


class GlibcAllocator:
    """mallinfo2() sums every arena; malloc_info() splits off the main one (threads get their own)."""

    def __init__(self):
        libc = ctypes.CDLL('libc.so.6')
        self._mallinfo2 = getattr(libc, 'mallinfo2', None)  # glibc >= 2.33
        if self._mallinfo2 is not None:
            self._mallinfo2.restype = Mallinfo2
            self._mallinfo2.argtypes = []
        self._trim = libc.malloc_trim
        self._trim.argtypes = [ctypes.c_size_t]
        self._trim.restype = ctypes.c_int
        # malloc_info() writes to a FILE*: fmemopen() over a buffer allocated now, before baseline.
        self._xml = ctypes.create_string_buffer(256 * 1024)
        self._fmemopen = libc.fmemopen
        self._fmemopen.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
        self._fmemopen.restype = ctypes.c_void_p
        self._fclose = libc.fclose
        self._fclose.argtypes = [ctypes.c_void_p]
        self._malloc_info = libc.malloc_info
        self._malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]

    def main_arena(self):
        ctypes.memset(self._xml, 0, 64)
        fp = self._fmemopen(self._xml, len(self._xml) - 1, b'w')
        if not fp:
            return None
        self._malloc_info(0, fp)
        self._fclose(fp)
        return parse_main_arena(self._xml.value.decode('latin-1'))

    def figures(self):
        if self._mallinfo2 is None:
            return {}
        m = self._mallinfo2()
        main_in_use, main_free = self.main_arena() or (m.uordblks, m.fordblks)
        return {'glibc': {'inUse': m.uordblks, 'mmapped': m.hblkhd, 'free': m.fordblks,
                          'mainArenaInUse': main_in_use, 'mainArenaFree': main_free}}

    def trim(self):
        self._trim(0)


class JemallocAllocator:
    def __init__(self):
        self._mallctl = ctypes.CDLL(None).mallctl  # the preloaded library's symbol
        self._mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p, ctypes.c_size_t]
        self._mallctl.restype = ctypes.c_int
        self._page = self._read('arenas.page')
        self._settings = {'dirtyDecayMs': self._read('opt.dirty_decay_ms', ctypes.c_ssize_t),
                          'muzzyDecayMs': self._read('opt.muzzy_decay_ms', ctypes.c_ssize_t)}

    def _read(self, name, ctype=ctypes.c_size_t):
        value = ctype()
        size = ctypes.c_size_t(ctypes.sizeof(value))
        rc = self._mallctl(name.encode(), ctypes.byref(value), ctypes.byref(size), None, 0)
        if rc:
            raise OSError(rc, f'mallctl {name} failed')
        return value.value

    def figures(self):
        epoch = ctypes.c_uint64(1)  # the stats are a snapshot, refreshed by writing to "epoch"
        size = ctypes.c_size_t(8)
        self._mallctl(b'epoch', ctypes.byref(epoch), ctypes.byref(size), ctypes.byref(epoch), 8)
        read = self._read
        return {'jemalloc': {
            'allocated': read('stats.allocated'), 'active': read('stats.active'), 'metadata': read('stats.metadata'),
            'resident': read('stats.resident'), 'retained': read('stats.retained'),
            'dirty': read(f'stats.arenas.{ALL_ARENAS}.pdirty') * self._page,
            'muzzy': read(f'stats.arenas.{ALL_ARENAS}.pmuzzy') * self._page,
            **self._settings, 'backgroundThread': bool(read('background_thread', ctypes.c_bool)),
        }}

    def trim(self):
        """jemalloc has no malloc_trim: purging every arena is its equivalent."""
        self._mallctl(f'arena.{ALL_ARENAS}.purge'.encode(), None, None, None, 0)


def load_allocator():
    # Loaded before baseline, so ctypes' own memory is part of the baseline.
    if 'libjemalloc' in os.environ.get('LD_PRELOAD', '') and hasattr(ctypes.CDLL(None), 'mallctl'):
        return JemallocAllocator()
    return GlibcAllocator()


def heap_figures(extra=None, allocator=None):
    """CPython's figures; at phase ends (allocator given) also pymalloc's and the C allocator's bytes."""
    figures = {'rss': own_rss(), 'gcCount': list(gc.get_count())}
    if PYMALLOC:  # under PYTHONMALLOC=malloc the count stays 0: n/a rather than a false 0
        figures['allocatedBlocks'] = sys.getallocatedblocks()
    if allocator is not None:
        stats = parse_pymalloc(malloc_stats_text()) if PYMALLOC else {}
        if stats:
            figures['arenasInUse'] = stats.get('# arenas allocated current', 0)
            figures['arenasAllocatedTotal'] = stats.get('# arenas allocated total', 0)
            figures['pymalloc'] = pymalloc_figures(stats)
        figures.update(allocator.figures())
    if extra:
        figures.update(extra)
    return figures


# ---- the user's own code (custom runs) ----

class CodeFailure(Exception):
    """An error in the user's code: the field holding the line, and where in it (1-based)."""

    def __init__(self, field, kind, message, line=None, column=None):
        super().__init__(message)
        self.field, self.kind, self.line, self.column = field, kind, line, column

    def report_fields(self):
        code = {'field': self.field, 'type': self.kind[:200]}
        if isinstance(self.line, int) and self.line > 0:
            code['line'] = self.line
            if isinstance(self.column, int) and self.column > 0:
                code['column'] = self.column
        return code


def read_code(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    code = json.loads(b''.join(chunks).decode('utf-8'))
    for field in CODE_FIELDS:
        if not isinstance(code.get(field), str):
            raise ValueError(f'bad code: {field} must be a string')
    return code


class CustomCode:
    """The three fields compiled up front (a syntax error fails the run before baseline) and run with
    one globals dict, as one module would: what allocate binds (`foo`) is there for unreference."""

    def __init__(self, code):
        self.globals = {'__name__': '__memtide__', '__builtins__': builtins}
        self.compiled = {}
        for field in CODE_FIELDS:
            try:
                # Each field its own "file" with no wrapper: positions are the ones the user typed.
                self.compiled[field] = compile(code[field], f'<{field}>', 'exec', dont_inherit=True)
            except SyntaxError as error:  # IndentationError and TabError too
                raise CodeFailure(field, type(error).__name__, str(error.msg)[:MESSAGE_MAX], error.lineno, error.offset) from None

    def run(self, field):
        try:
            exec(self.compiled[field], self.globals)
        except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt in the code are its failures too
            import traceback  # only when needed: not part of every run's baseline
            where, line, column = field, None, None
            for frame in traceback.extract_tb(error.__traceback__):  # innermost user frame last
                if frame.filename in ('<setup>', '<allocate>', '<unreference>'):
                    where, line = frame.filename[1:-1], frame.lineno
                    colno = getattr(frame, 'colno', None)  # 3.11+
                    column = colno + 1 if isinstance(colno, int) else None
            message = (str(error) or type(error).__name__)[:MESSAGE_MAX]
            raise CodeFailure(where, type(error).__name__, message, line, column) from None


def parse_spec(text):
    """The server validated the spec against shared/; this re-checks what the worker relies on."""
    spec = json.loads(text)
    if not isinstance(spec, dict) or not isinstance(spec.get('experiment'), str):
        raise ValueError('bad spec: experiment must be a string')
    params = spec.get('params') or {}
    for name, value in params.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f'bad spec: params.{name} must be an integer')
    phases = spec.get('phases')
    if not isinstance(phases, list) or not phases or any(p not in PHASES for p in phases):
        raise ValueError(f'bad spec: phases must be a list of {", ".join(PHASES)}')
    for name in ('baselineMs', 'settleMs', 'reportEveryMs'):
        if not isinstance(spec.get(name), int) or isinstance(spec.get(name), bool) or spec[name] < 0:
            raise ValueError(f'bad spec: {name} must be a whole number of ms')
    if spec.get('codeFd') not in (None, CODE_FD):
        raise ValueError(f'bad spec: codeFd must be {CODE_FD}')
    return spec


class Worker:
    def __init__(self, spec):
        self.spec = spec
        self.params = spec['params']
        # The acks come on a copy of stdin; fd 0 becomes /dev/null, so code that reads stdin gets EOF, not an ack byte.
        self.ack_fd = os.dup(0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        self.custom = CustomCode(read_code(spec['codeFd'])) if spec.get('codeFd') is not None else None
        if self.custom:
            self.allocate_fn = lambda _p, _tick: self.custom.run('allocate')
            self.unreference_fn = lambda _data, _p: self.custom.run('unreference')
        else:
            self.allocate_fn, self.unreference_fn = EXPERIMENTS[spec['experiment']]
        self.allocator = load_allocator()
        self.current = None
        self.last_report = 0.0
        self.data = None

    def tick(self, value=None, done=0):
        """Reports the heap at most every reportEveryMs; returns value so it can sit inside a comprehension."""
        t = now()
        if t - self.last_report >= self.spec['reportEveryMs']:
            self.last_report = t
            extra = {'progress': [done, self.params.get('n', 0)]} if self.current == 'allocate' and not self.custom else None
            report({'type': 'heap', 't': t, 'heap': heap_figures(extra)})
        return value

    def idle(self, ms):
        until = now() + ms
        while now() < until:
            time.sleep(max(0.0, min(self.spec['reportEveryMs'], until - now())) / 1000)
            self.tick()

    # What each phase name means in CPython; the order comes from the spec.
    def baseline(self):
        self.idle(self.spec['baselineMs'])
        gc.collect()

    def allocate(self):
        self.data = self.allocate_fn(self.params, tick)

    def unreference(self):
        self.data = self.unreference_fn(self.data, self.params)  # the seed's `del foo` happens here

    def collect(self):
        gc.collect()

    def trim(self):
        self.allocator.trim()

    def settle(self):
        self.idle(self.spec['settleMs'])

    def run(self):
        report({
            'type': 'ready', 't': now(), 'pid': os.getpid(), 'runtime': 'python', 'version': platform.python_version(),
            'env': {k: os.environ[k] for k in KNOB_ENV if k in os.environ},
            'objectAllocator': 'pymalloc' if PYMALLOC else 'malloc',
        })
        if self.custom:
            self.custom.run('setup')  # imports and helpers: before baseline, so they are part of it
        for phase in self.spec['phases']:
            self.current = phase
            self.last_report = now()
            report({'type': 'phase', 'phase': phase, 'edge': 'start', 't': self.last_report, 'heap': heap_figures()})
            getattr(self, phase)()
            extra = {'progress': [self.params.get('n', 0)] * 2} if phase == 'allocate' and not self.custom else None
            heap = heap_figures(extra, self.allocator)
            self.last_report = now()
            report({'type': 'phase', 'phase': phase, 'edge': 'end', 't': self.last_report, 'heap': heap})
            if os.read(self.ack_fd, 1) == b'':
                raise SystemExit('the server closed the acknowledgement pipe')
        # Survivors (fragmentation) stay referenced until the very end.
        if self.data is not None and len(self.data) < 0:
            print(self.data)
        report({'type': 'done', 't': now()})


WORKER = None


def tick(value=None, done=0):
    return WORKER.tick(value, done)


def main():
    global WORKER
    spec = parse_spec(sys.argv[1] if len(sys.argv) > 1 else 'null')
    if spec['experiment'] not in EXPERIMENTS and spec.get('codeFd') is None:
        raise ValueError(f"unknown experiment {spec['experiment']}")
    WORKER = Worker(spec)
    WORKER.run()


if __name__ == '__main__':
    try:
        main()
    except BaseException as error:  # noqa: BLE001 - every failure is reported, then the exit code says it
        message = str(error) or type(error).__name__
        phase = WORKER.current if WORKER else None
        code = {'code': error.report_fields()} if isinstance(error, CodeFailure) else {}
        report({'type': 'error', 't': now(), 'message': message, **({'phase': phase} if phase else {}), **code})
        sys.exit(1)
