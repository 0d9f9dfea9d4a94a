import koffi from 'koffi';

/**
 * flock(2) on an open file descriptor, through koffi (Node has no binding). The kernel drops the
 * lock when the holder's last descriptor closes: at exit, on SIGKILL, before the holder is even
 * reaped. So a lock can never outlive its process, whatever its pid or a zombie says.
 */
const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const EINTR = 4;

let flockCall: ((fd: number, operation: number) => number) | null = null;

function bind(): (fd: number, operation: number) => number {
  if (!flockCall) {
    try {
      flockCall = koffi.load('libc.so.6').func('int flock(int fd, int operation)') as (
        fd: number,
        operation: number,
      ) => number;
    } catch (error) {
      throw new Error(
        `cannot load flock(2) from libc through koffi (${error instanceof Error ? error.message : error}); reinstall the dependencies with npm ci`,
      );
    }
  }
  return flockCall;
}

/** Takes an exclusive lock without waiting: true when taken, false when another process holds it. */
export function tryLockExclusive(fd: number): boolean {
  const flock = bind();
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
    const errno = koffi.errno();
    if (errno === EWOULDBLOCK) return false;
    if (errno !== EINTR) throw new Error(`flock failed (errno ${errno})`);
  }
}
