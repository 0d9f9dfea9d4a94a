import koffi from 'koffi';

/**
 * The few libc calls memory replication needs, through koffi (prebuilt binaries, no compiler).
 * Declarations and constants verified on Linux 6.18 / x86-64 with koffi 3.3.4 (ioctl numbers from the
 * kernel's uapi headers). Loaded on first use so that hosts without koffi's binary still run the
 * fallbacks.
 */
export interface Libc {
  ptrace(request: number, pid: number, addr: bigint, data: Buffer | null): number;
  waitpid(pid: number, status: number[], options: number): number;
  syscall3(nr: number, a: number, b: number, c: number): number;
  ioctl(fd: number, request: number, arg: Buffer): number;
  processVmReadv(pid: number, local: Buffer, localCount: number, remote: Buffer, remoteCount: number): number;
  errno(): number;
  /** Address of a Buffer's memory, as the kernel sees it. */
  address(buffer: Buffer): bigint;
}

export const PTRACE = { CONT: 7, GETREGS: 12, SETREGS: 13, DETACH: 17, SEIZE: 0x4206, INTERRUPT: 0x4207 };
export const WALL = 0x40000000;
export const NR = { close: 3, userfaultfd: 323, pidfdOpen: 434, pidfdGetfd: 438 };
/** userfaultfd(2) flags: O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY (needed for non-root guests). */
export const UFFD_FLAGS = 0x80801;
export const IOCTL = { UFFDIO_API: 0xc018aa3f, UFFDIO_REGISTER: 0xc020aa00, PAGEMAP_SCAN: 0xc0606610 };
export const UFFD_API = 0xaa;
export const UFFD_FEATURE = { WP_UNPOPULATED: 1 << 13, WP_ASYNC: 1 << 15 };
export const UFFDIO_REGISTER_MODE_WP = 2;
export const PM_SCAN = { WP_MATCHING: 1, CHECK_WPASYNC: 2 };
export const PAGE_IS = { WPALLOWED: 1, WRITTEN: 2, FILE: 4, PRESENT: 8, SWAPPED: 16 };
/** process_vm_readv accepts at most IOV_MAX remote iovecs per call. */
export const IOV_MAX = 1024;

let loaded: Libc | null = null;
let loadError: Error | null = null;

/** The bindings, or an Error saying why they are not available here. */
export function libc(): Libc | Error {
  if (loaded) return loaded;
  if (loadError) return loadError;
  try {
    const lib = koffi.load('libc.so.6');
    const ptrace = lib.func('long ptrace(int request, int pid, uint64_t addr, void *data)');
    const waitpid = lib.func('int waitpid(int pid, _Out_ int *status, int options)');
    const syscall3 = lib.func('long syscall(long nr, long a, long b, long c)');
    const ioctl = lib.func('int ioctl(int fd, unsigned long request, void *arg)');
    const pvr = lib.func(
      'long process_vm_readv(int pid, void *lvec, unsigned long liovcnt, void *rvec, unsigned long riovcnt, unsigned long flags)',
    );
    loaded = {
      ptrace: (request, pid, addr, data) => Number(ptrace(request, pid, addr, data)),
      waitpid: (pid, status, options) => waitpid(pid, status, options),
      syscall3: (nr, a, b, c) => Number(syscall3(nr, a, b, c)),
      ioctl: (fd, request, arg) => ioctl(fd, request, arg),
      processVmReadv: (pid, local, localCount, remote, remoteCount) =>
        Number(pvr(pid, local, localCount, remote, remoteCount, 0)),
      errno: () => koffi.errno(),
      address: (buffer) => BigInt(koffi.address(buffer)),
    };
    return loaded;
  } catch (error) {
    loadError = new Error(`koffi could not load libc: ${error instanceof Error ? error.message : error}`);
    return loadError;
  }
}

/** Like libc(), but throws. */
export function requireLibc(): Libc {
  const bindings = libc();
  if (bindings instanceof Error) throw bindings;
  return bindings;
}
