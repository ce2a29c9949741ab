/*
 * The fixed-rate RSS loop as a small native process: the loop bench/sampler.ts measures as the
 * machine's floor (clock_nanosleep to an absolute deadline, then pread of /proc/PID/statm through
 * a kept-open fd), plus the memory-cap check, batching and a pipe protocol. The same loop on a
 * Node worker_thread (sampler-thread.ts, the fallback) costs ~1.6-1.9x this (bench/sampler.ts):
 * each wake goes through a V8 isolate (Atomics.wait's condition variable, the JS around the read).
 * Built by scripts/ensure-build.mjs with the system's C compiler into dist/server/sampling/; where
 * there is none, rss-sampler.ts defaultMethod() picks the thread.
 *
 * Protocol (native-sampler.ts is the other end):
 *  - stdin, one line to start: "<pid> <periodUs> <every> <batchMs> <maxBatchMs> <capBytes> <bytesPerPage>
 *    <clockOffsetMs>\n". The process waits for it, blocked, so that it can be started ahead of its
 *    run. It reads every periodUs, records every `every`-th reading, and checks each against
 *    capBytes (0: no cap).
 *  - stdin while sampling: "b <ms>\n" changes the batch period (at most maxBatchMs), read when
 *    a batch leaves. SIGTERM stops within a reading period (it interrupts the sleep), after a last
 *    batch; so do the end of stdin and a line "s\n", seen when a batch leaves. Not a read of stdin at every reading: that
 *    syscall was a quarter of the loop's cost above the floor.
 *  - stdout: native-endian float64 pairs (t, value). t >= 0: a reading, t in epoch ms
 *    (CLOCK_MONOTONIC + clockOffsetMs, the server's clock) and value the RSS in bytes. t = -1: the
 *    first reading over the cap (value: that RSS; it was also sent as a reading just before).
 *    t = -2: the end (value 0: stopped, 1: the process exited, 2: /proc/PID/statm could not be
 *    opened, said on stderr). A bad start line exits with code 2 and no end mark.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MARK_BREACH -1.0
#define MARK_END -2.0
enum { END_STOPPED = 0, END_EXITED = 1, END_ERROR = 2 };

static volatile sig_atomic_t stop_asked;
static void on_term(int sig) {
  (void)sig;
  stop_asked = 1;
}

/* The longest batch period asked for (sampler-types.ts MAX_BATCH_MS, sent in the start line). */
static double max_batch_ms;
static double *batch;
static size_t n, capacity;

/* One write per batch: a pipe write of at most PIPE_BUF bytes is never split. */
static void flush(void) {
  size_t bytes = n * 2 * sizeof(double), off = 0;
  while (off < bytes) {
    ssize_t w = write(1, (char *)batch + off, bytes - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) exit(0); /* the server is gone */
    off += (size_t)w;
  }
  n = 0;
}

static void put(double t, double value) {
  batch[n * 2] = t;
  batch[n * 2 + 1] = value;
  n++;
}

static void finish(int code) {
  put(MARK_END, code);
  flush();
  exit(0);
}

static double monotonic_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* statm is "size resident shared ...", in pages. */
static long long read_rss(int fd, long long page_bytes) {
  char buf[128];
  ssize_t len = pread(fd, buf, sizeof buf - 1, 0);
  if (len <= 0) return -1; /* ESRCH once the process has exited */
  buf[len] = 0;
  char *p = strchr(buf, ' ');
  return p ? strtoll(p + 1, NULL, 10) * page_bytes : -1;
}

/* Control lines, read without blocking when a batch leaves; 1: stop. */
static int control(double *batch_ms) {
  static char line[64];
  static size_t len;
  for (;;) {
    ssize_t r = read(0, line + len, sizeof line - 1 - len);
    if (r == 0) return 1; /* the server closed its end */
    if (r < 0) return 0;  /* EAGAIN: nothing new */
    len += (size_t)r;
    char *nl;
    while ((nl = memchr(line, '\n', len))) {
      *nl = 0;
      if (line[0] == 's') return 1;
      if (line[0] == 'b') {
        double ms = atof(line + 1);
        if (ms > 0) *batch_ms = ms < max_batch_ms ? ms : max_batch_ms;
      }
      size_t used = (size_t)(nl + 1 - line);
      memmove(line, nl + 1, len - used);
      len -= used;
    }
    if (len == sizeof line - 1) len = 0; /* an over-long line: not ours, dropped */
  }
}

/* Asked to run first when it wakes (it sleeps ~98 % of the time): SCHED_FIFO at the lowest
 * real-time priority, else nice -10; both need CAP_SYS_NICE (or RLIMIT_RTPRIO, RLIMIT_NICE),
 * else the default priority. */
static void raise_priority(void) {
  const char *rt = getenv("MEMTIDE_SAMPLER_RT");
  struct sched_param sp = { .sched_priority = 1 };
  if (!(rt && strcmp(rt, "0") == 0) && sched_setscheduler(0, SCHED_FIFO, &sp) == 0) return;
  setpriority(PRIO_PROCESS, 0, -10);
}

int main(void) {
  /* Never outlive the server: killed when it dies. Had it died before this line, the read of the
   * start line meets the end of stdin (only the server holds the pipe's other end). Not a test of
   * getppid() == 1: a server in a container may itself be PID 1. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction term = { .sa_handler = on_term }; /* no SA_RESTART: the sleep returns EINTR */
  sigaction(SIGTERM, &term, NULL);
  raise_priority();

  char start[256];
  size_t got = 0;
  while (got < sizeof start - 1) {
    ssize_t r = read(0, start + got, 1);
    if (r <= 0) return 0; /* never started: the server dropped its spare */
    if (start[got++] == '\n') break;
  }
  start[got] = 0;
  long pid, period_us, every;
  double batch_ms, cap, page_bytes, offset;
  if (sscanf(start, "%ld %ld %ld %lf %lf %lf %lf %lf", &pid, &period_us, &every, &batch_ms, &max_batch_ms, &cap, &page_bytes, &offset) != 8 || pid <= 0 || period_us <= 0 || every <= 0 || max_batch_ms <= 0) {
    fprintf(stderr, "bad start line: %.80s", start);
    return 2;
  }
  /* Recorded readings per max_batch_ms, the breach (which may fall between them) and the end. */
  capacity = (size_t)(max_batch_ms * 1000 / (period_us * every)) + 4;
  batch = malloc(capacity * 2 * sizeof(double));
  if (!batch) return 2;
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/statm", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "%s: %s", path, strerror(errno));
    finish(END_ERROR);
  }
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

  int breached = cap <= 0; /* no cap: nothing to watch */
  long reading = 0;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  double last_flush = monotonic_ms();
  for (;;) {
    double at = monotonic_ms();
    long long rss = read_rss(fd, (long long)page_bytes);
    if (rss < 0) {
      flush();
      finish(END_EXITED);
    }
    int on_grid = reading++ % every == 0;
    int breach = !breached && rss > cap;
    /* A zombie (exited, not yet reaped) reads as 0 pages: not a real reading. */
    if (rss > 0 && (on_grid || breach)) put(at + offset, (double)rss);
    if (breach) {
      breached = 1;
      put(MARK_BREACH, (double)rss);
    }
    if (breach || n + 2 >= capacity || at - last_flush >= batch_ms) {
      flush();
      last_flush = at;
      if (control(&batch_ms)) stop_asked = 1;
    }
    if (stop_asked) finish(END_STOPPED);
    /* The next deadline on a fixed grid (no drift); fell behind (descheduled): resync, never burst. */
    if (next.tv_sec * 1e3 + next.tv_nsec / 1e6 + period_us / 1e3 <= monotonic_ms()) clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_nsec += period_us * 1000;
    while (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec++;
    }
    while (!stop_asked && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
  }
}
