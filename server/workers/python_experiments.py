"""What each CPython experiment allocates and how it lets go (python-worker.py runs them).

allocate(p, tick) builds the data and returns the only reference to it; unreference(data, p) returns
what survives. tick(value, done) reports progress at most every reportEveryMs and returns value, so it
can sit inside a comprehension: the `if i & MASK else tick(...)` form reports every 16k items without
a function call per item, so each list is still built the way the plain comprehension builds it.
The ids of EXPERIMENTS are checked against shared/catalog/python.ts by shared/worker-agreement.test.ts.
(A module name with underscores: python-worker.py imports it, and a hyphen cannot be imported.)
"""
import os
import threading
import time

MASK = 0x3FFF  # check the clock every 16k items: cheap, and well under 50 ms apart


def seed(p, tick):
    n = p['n']
    return ['abc' if x & MASK else tick('abc', x) for x in range(n)]


def unique_strings(p, tick):
    # The seed with a distinct object per slot: str(x) is a new 41-48-byte str each time (only
    # single characters are cached), so N objects land in pymalloc's pools, not one shared 'abc'.
    n = p['n']
    return [str(x) if x & MASK else tick(str(x), x) for x in range(n)]


def unique_ints(p, tick):
    # list(range(N)), filled in chunks so the worker can report: same N slots, same N int objects.
    n, chunk = p['n'], MASK + 1
    out = [None] * n
    for i in range(0, n, chunk):
        out[i:i + chunk] = range(i, min(n, i + chunk))
        tick(None, i)
    return out


def small_dicts(p, tick):
    n = p['n']
    return [{'a': i, 'b': i + 1} if i & MASK else tick({'a': i, 'b': i + 1}, i) for i in range(n)]


def make_bytes(i, size):
    # Built at run time (a literal would be one constant), and every byte written: fresh heap pages
    # cost no RSS until touched.
    return bytes([i & 0xFF]) * size


def some_bytes(p, tick):
    n, size = p['n'], p['size']
    return [make_bytes(i, size) if i & 0x3F else tick(make_bytes(i, size), i) for i in range(n)]


def thread_bursts(p, tick):
    """T threads, all alive at once, each in turn mallocs N blocks of S bytes, writes them and frees
    all but the last. A thread's first malloc gets it an arena of its own while fewer than
    MALLOC_ARENA_MAX (8 x cores by default) exist and no thread has exited to free one (glibc
    malloc/arena.c arena_get2); a non-main arena is a chain of 64 MiB heaps (HEAP_MAX_SIZE) that
    heap_trim shrinks only from the top, so the survivor keeps the burst's pages. With one arena
    (MALLOC_ARENA_MAX=1) each burst reuses the free chunks the one before it left."""
    threads, n, size = p['threads'], p['n'], p['size']
    survivors = [None] * threads
    turns = [threading.Event() for _ in range(threads)]
    done = [threading.Event() for _ in range(threads)]
    finished = threading.Event()
    failures = []

    def work(k):
        turns[k].wait()
        if failures:  # an earlier burst failed: the run ends without this one
            return
        try:
            burst = [None] * n  # one malloc of 8N bytes, then N blocks above it in this thread's arena
            for i in range(n):
                burst[i] = make_bytes(i, size)
            survivors[k] = burst[-1]  # the last block sits at the top of the arena's heap
            del burst
        except BaseException as error:  # noqa: BLE001 - a MemoryError here must end the run, not hang it
            failures.append(f'thread {k}: {type(error).__name__}: {error}')
        done[k].set()
        finished.wait()  # stay alive: an exited thread's arena would be handed to the next new thread

    alive = thread_count()
    pool = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(threads)]
    for t in pool:
        t.start()
    for k in range(threads):
        turns[k].set()
        done[k].wait()
        tick(None, k * n)
        if failures:
            break
    for turn in turns:
        turn.set()
    finished.set()
    for t in pool:
        t.join()
    until_threads_gone(alive)
    if failures:
        raise RuntimeError(failures[0])
    return survivors


def thread_count():
    try:
        return len(os.listdir('/proc/self/task'))
    except OSError:  # no /proc: nothing to wait for
        return 0


def until_threads_gone(count, cap_s=1.0):
    """join() returns when a thread's Python code is done; the OS thread ends a moment later, and only
    then does glibc madvise its stack away (nptl start_thread, advise_stack_range): wait for that, so
    the phase ends without the threads' stacks in RSS."""
    until = time.monotonic() + cap_s
    while thread_count() > count and time.monotonic() < until:
        time.sleep(0.001)


def drop_all(_data, _p):
    return None


def keep_all(data, _p):
    # The churn already happened inside allocate: the survivors are all that is left, and they stay.
    return data


def keep_every(data, p):
    return data[::p['keepEvery']]


def keep_last(data, _p):
    # One live chunk at the top of the brk heap, as any later allocation of a real program would be:
    # glibc trims only free space at the top, so everything below stays mapped.
    return data[-1:]


EXPERIMENTS = {
    'py-seed': (seed, drop_all),
    'py-unique-strings': (unique_strings, drop_all),
    'py-unique-ints': (unique_ints, drop_all),
    'py-small-objects': (small_dicts, drop_all),
    'py-fragmentation': (small_dicts, keep_every),
    'py-medium-bytes': (some_bytes, keep_last),
    'py-large-bytes': (some_bytes, drop_all),
    'py-interleaved-lifetimes': (some_bytes, keep_every),
    'py-thread-arenas': (thread_bursts, keep_all),
}
