import { closeSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { type Libc, NR, PTRACE, UFFD_FLAGS, WALL } from './libc.ts';

/** user_regs_struct on x86-64: 27 u64; the indices used here. */
const REGS_BYTES = 216;
const RAX = 10;
const RDI = 14;
const ORIG_RAX = 15;
const RIP = 16;
/** `syscall; int3`: run one system call, then stop with SIGTRAP. */
const SYSCALL_TRAP = Buffer.from([0x0f, 0x05, 0xcc]);
const SIGTRAP = 5;

/** Field 22 of /proc/PID/stat: when the process started (clock ticks since boot); '' if gone. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function threadsOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map(Number);
}

/**
 * Stops every thread of `pid` with PTRACE_SEIZE + PTRACE_INTERRUPT (threads started meanwhile are
 * picked up by listing again until the set is stable). Returns the seized thread ids.
 */
function seizeAll(c: Libc, pid: number): number[] {
  const seized = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const fresh = threadsOf(pid).filter((tid) => !seized.has(tid));
    if (fresh.length === 0) return [...seized];
    for (const tid of fresh) {
      if (c.ptrace(PTRACE.SEIZE, tid, 0n, null) !== 0) {
        const errno = c.errno();
        // The thread exited between listing and seizing: nothing to stop.
        if (errno === 3) continue;
        throw new Error(
          `ptrace(PTRACE_SEIZE, ${tid}) failed with errno ${errno}` +
            (errno === 1
              ? ' (EPERM: needs root or CAP_SYS_PTRACE, and no other tracer such as gdb or strace)'
              : ''),
        );
      }
      seized.add(tid);
      c.ptrace(PTRACE.INTERRUPT, tid, 0n, null);
      c.waitpid(tid, [0], WALL);
    }
  }
  return [...seized];
}

/**
 * Runs system calls inside a stopped guest thread (the technique of CRIU's compel). The code at the thread's RIP is patched with `syscall; int3`,
 * registers are set, the thread runs to the trap, and code and registers are restored afterwards
 * (a system call the guest was blocked in restarts normally).
 */
class SyscallInjector {
  private readonly saved = Buffer.alloc(REGS_BYTES);
  private readonly regs = Buffer.alloc(REGS_BYTES);
  private readonly r = new BigUint64Array(this.regs.buffer, this.regs.byteOffset, REGS_BYTES / 8);
  private readonly code = Buffer.alloc(3);
  private readonly rip: number;
  private readonly memFd: number;

  constructor(
    private readonly c: Libc,
    private readonly tid: number,
  ) {
    if (c.ptrace(PTRACE.GETREGS, tid, 0n, this.saved) !== 0)
      throw new Error(`PTRACE_GETREGS failed (errno ${c.errno()})`);
    const savedRegs = new BigUint64Array(this.saved.buffer, this.saved.byteOffset, REGS_BYTES / 8);
    // Trap: fs.writeSync ignores a BigInt position, so the address must be a Number.
    this.rip = Number(savedRegs[RIP]);
    this.memFd = openSync(`/proc/${tid}/mem`, 'r+');
    readSync(this.memFd, this.code, 0, 3, this.rip);
    writeSync(this.memFd, SYSCALL_TRAP, 0, 3, this.rip);
  }

  /** Runs syscall `nr` with one argument; returns its result (negative errno on failure). */
  call(nr: number, arg0: bigint): number {
    this.saved.copy(this.regs);
    this.r[RAX] = BigInt(nr);
    this.r[RDI] = arg0;
    this.r[ORIG_RAX] = 0xffffffffffffffffn; // not inside a syscall: no restart logic on resume
    const c = this.c;
    if (c.ptrace(PTRACE.SETREGS, this.tid, 0n, this.regs) !== 0)
      throw new Error(`PTRACE_SETREGS failed (errno ${c.errno()})`);
    if (c.ptrace(PTRACE.CONT, this.tid, 0n, null) !== 0)
      throw new Error(`PTRACE_CONT failed (errno ${c.errno()})`);
    const status = [0];
    c.waitpid(this.tid, status, WALL);
    const st = status[0] as number;
    if ((st & 0xff) !== 0x7f || ((st >> 8) & 0xff) !== SIGTRAP) {
      throw new Error(
        `the injected system call ${nr} did not stop at its trap (wait status 0x${st.toString(16)})`,
      );
    }
    c.ptrace(PTRACE.GETREGS, this.tid, 0n, this.regs);
    return Number(BigInt.asIntN(64, this.r[RAX] as bigint));
  }

  restore(): void {
    try {
      writeSync(this.memFd, this.code, 0, 3, this.rip);
      this.c.ptrace(PTRACE.SETREGS, this.tid, 0n, this.saved);
    } finally {
      closeSync(this.memFd);
    }
  }
}

/**
 * Creates a userfaultfd inside process `pid` (userfaultfd() binds to the caller's mm, so it must run
 * there), duplicates it into this process with pidfd_getfd, and closes the guest's copy. Returns the
 * fd, now ours; every later uffd ioctl acts on the guest's mm. Stops the guest for about 1 ms.
 */
export function stealUserfaultfd(c: Libc, pid: number, startTime: string): number {
  let seized: number[] = [];
  let injector: SyscallInjector | null = null;
  // A pidfd first: while it is open the pid cannot be reused, so the process checked here (by its
  // start time, recorded when the guest's process was first seen) is the one seized below.
  const pidfd = c.syscall3(NR.pidfdOpen, pid, 0, 0);
  if (pidfd < 0) throw new Error(`pidfd_open(${pid}) failed (errno ${c.errno()}): the process exited`);
  try {
    if (processStartTime(pid) !== startTime)
      throw new Error(`process ${pid} is no longer the guest's (it exited and the pid was reused)`);
    seized = seizeAll(c, pid);
    if (!seized.includes(pid)) throw new Error(`process ${pid} exited`);
    injector = new SyscallInjector(c, pid);
    const guestFd = injector.call(NR.userfaultfd, BigInt(UFFD_FLAGS));
    if (guestFd < 0) {
      throw new Error(
        `userfaultfd() inside process ${pid} failed with errno ${-guestFd}` +
          (guestFd === -1 || guestFd === -38 ? ' (blocked by seccomp, or not built into this kernel)' : ''),
      );
    }
    try {
      const ours = c.syscall3(NR.pidfdGetfd, pidfd, guestFd, 0);
      if (ours < 0) throw new Error(`pidfd_getfd(${pid}, ${guestFd}) failed (errno ${c.errno()})`);
      return ours;
    } finally {
      injector.call(NR.close, BigInt(guestFd));
    }
  } finally {
    try {
      injector?.restore();
    } finally {
      for (const tid of seized) c.ptrace(PTRACE.DETACH, tid, 0n, null);
      closeSync(pidfd);
    }
  }
}
