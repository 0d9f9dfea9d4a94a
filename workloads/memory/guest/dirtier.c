/*
 * Page dirtier: Remus's own microbenchmark. Maps a working set, touches it all, then writes
 * random pages: as fast as it can with rate 0 (saturating: its throughput falls by whatever share
 * of its time replication takes), or `rate` pages every millisecond on an absolute schedule, where
 * a tick that cannot start within 200 us of its time is skipped and counted, never caught up (so
 * a paused share of p % loses about p % of the ticks).
 *
 *   dirtier WS_MB RATE_PAGES_PER_MS SECONDS [LOG_FILE|-] [fork|-] [PROGRESS_FILE]
 *
 * LOG_FILE (optional): ground truth for tests. A shared file: u64 count, then one u32 page index
 * per write, appended after the store and published with a release store of the count, so that a
 * reader who sees count n while the process is frozen knows the first n writes have landed.
 * "fork": fork a child after the set-up that dirties its own copy too (its log: LOG_FILE.child).
 * PROGRESS_FILE (optional): rewritten every 100 ms with "ELAPSED_S PAGES_WRITTEN MISSED_TICKS", so a
 * harness can measure a window of a long run. Prints "ready ADDRESS PAGES" once the working set is
 * touched, and a result line at the end.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
static volatile sig_atomic_t stop_requested;
static void on_term(int sig) { (void)sig; stop_requested = 1; }

/* Files this program writes are created, never reused: a guest running as root must not follow a
   symlink or truncate a file someone placed at that name. */
#define NEW_FILE (O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

static uint64_t *open_log(const char *path, size_t entries) {
  int fd = open(path, O_RDWR | NEW_FILE, 0600);
  if (fd < 0) { perror(path); exit(2); }
  size_t bytes = 8 + entries * 4;
  if (ftruncate(fd, (off_t)bytes) != 0) { perror("ftruncate"); exit(2); }
  uint64_t *log = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (log == MAP_FAILED) { perror("mmap log"); exit(2); }
  close(fd);
  return log;
}

static uint64_t next_random(uint64_t *state) {
  *state ^= *state << 13; *state ^= *state >> 7; *state ^= *state << 17;
  return *state;
}

/* How late a tick may start and still count: the kernel's timer wake-up, not lost time. Measured on
   an idle 2-core VM (3 x 3,000 absolute 1 ms sleeps): clock_nanosleep woke 73-77 us late at p50,
   0.2-1.2 ms at p99; 1-3 % of ticks were later than this and are lost in every cell alike. */
#define LATE_ALLOWANCE_NS 200000LL

static long long ns_between(const struct timespec *from, const struct timespec *to) {
  return (long long)(to->tv_sec - from->tv_sec) * 1000000000LL + (to->tv_nsec - from->tv_nsec);
}

static void advance_ms(struct timespec *t) {
  t->tv_nsec += 1000000;
  if (t->tv_nsec >= 1000000000) { t->tv_sec++; t->tv_nsec -= 1000000000; }
}

static double now_s(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: dirtier WS_MB RATE_PAGES_PER_MS SECONDS [LOG_FILE] [fork]\n"); return 2; }
  size_t pages = (size_t)atol(argv[1]) * 256;
  long rate = atol(argv[2]);
  double seconds = atof(argv[3]);
  const char *log_path = argc > 4 && strcmp(argv[4], "-") != 0 ? argv[4] : NULL;
  int do_fork = argc > 5 && strcmp(argv[5], "fork") == 0;
  const char *progress_path = argc > 6 ? argv[6] : NULL;
  if (pages == 0 || rate < 0 || seconds <= 0) { fprintf(stderr, "dirtier: bad arguments\n"); return 2; }
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);

  char *ws = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ws == MAP_FAILED) { perror("mmap"); return 2; }
  madvise(ws, pages * PAGE, MADV_NOHUGEPAGE);
  for (size_t i = 0; i < pages; i++) ws[i * PAGE] = (char)i;

  pid_t child = 0;
  int is_child = 0;
  if (do_fork) {
    child = fork();
    if (child < 0) { perror("fork"); return 2; }
    is_child = child == 0;
  }
  uint64_t *log = NULL;
  size_t log_entries = (size_t)((rate ? rate : 1000) * 1000.0 * (seconds + 1)) + 1;
  if (log_path) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s", log_path, is_child ? ".child" : "");
    log = open_log(path, log_entries);
  }
  uint64_t rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
  if (!is_child) { printf("ready %p %zu\n", (void *)ws, pages); fflush(stdout); }

  uint64_t written = 0, missed_ticks = 0, counter = 0;
  double start = now_s(), last_progress = start;
  int progress_fd = -1;
  struct timespec tick; clock_gettime(CLOCK_MONOTONIC, &tick);
  while (!stop_requested && now_s() - start < seconds) {
    if (rate) {
      /* A tick whose batch cannot start within LATE_ALLOWANCE_NS of its time is missed: the load
         lost that time (paused, or slowed by the replication's faults) and does not catch up. */
      for (;;) {
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
        struct timespec now; clock_gettime(CLOCK_MONOTONIC, &now);
        if (ns_between(&tick, &now) <= LATE_ALLOWANCE_NS) break;
        advance_ms(&tick);
        missed_ticks++;
      }
    }
    long batch = rate ? rate : 64;
    for (long k = 0; k < batch; k++) {
      size_t page = (size_t)(next_random(&rng) % pages);
      counter++;
      /* One 8-byte store per page, at a place that moves, so every write changes the page. */
      memcpy(ws + page * PAGE + (counter % (PAGE / 8)) * 8, &counter, 8);
      written++;
      if (log && written < log_entries) {
        ((uint32_t *)(log + 1))[written - 1] = (uint32_t)page;
        __atomic_store_n(&log[0], written, __ATOMIC_RELEASE);
      }
    }
    if (progress_path && !is_child && now_s() - last_progress >= 0.1) {
      last_progress = now_s();
      char line[128];
      int n = snprintf(line, sizeof line, "%.6f %llu %llu\n", last_progress - start, (unsigned long long)written,
                       (unsigned long long)missed_ticks);
      /* One file for the whole run, rewritten in place: the reader takes its first line. */
      if (progress_fd < 0) {
        progress_fd = open(progress_path, O_WRONLY | NEW_FILE, 0644);
        if (progress_fd < 0) { perror(progress_path); exit(2); }
      }
      if (pwrite(progress_fd, line, (size_t)n, 0) < 0 || ftruncate(progress_fd, n) != 0) {}
    }
    if (rate) advance_ms(&tick);
  }
  double elapsed = now_s() - start;
  if (is_child) return 0;
  if (child > 0) { kill(child, SIGTERM); waitpid(child, NULL, 0); }
  printf("pages_written %llu seconds %.3f pages_per_s %.1f missed_ticks %llu\n", (unsigned long long)written,
         elapsed, written / elapsed, (unsigned long long)missed_ticks);
  return 0;
}
