import type { ClientChannel } from 'ssh2';
import { commandLine } from '../../remote/shell-quote.ts';
import type { RemoteHost } from '../../remote/ssh.ts';
import { timeoutDelay } from '../../util/delay.ts';
import type { GuestProcess } from '../types.ts';

const PID_PREFIX = 'remus-bench-pid ';

/**
 * A program running on a remote host over one SSH channel: its stdout lines, its exit, and a kill
 * that reaches it (a closed channel does not kill a remote process, so its PID is kept).
 */
export class RemoteProcess implements GuestProcess {
  pid = 0;
  private readonly lines: string[] = [];
  private readonly listeners = new Set<() => void>();
  /** Output after the last newline, until the rest of its line arrives. */
  private partial = '';
  private resolvePid!: () => void;
  private readonly pidKnown = new Promise<void>((resolve) => {
    this.resolvePid = resolve;
  });
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;

  private constructor(
    private readonly host: RemoteHost,
    opening: Promise<ClientChannel>,
  ) {
    this.exited = opening.then(
      (channel) => this.follow(channel),
      (error: Error) => {
        this.resolvePid();
        this.lines.push(`cannot start: ${error.message}`);
        return { exitCode: null, signal: null };
      },
    );
  }

  private follow(channel: ClientChannel): Promise<{ exitCode: number | null; signal: string | null }> {
    channel.on('data', (data: Buffer) => {
      this.partial += data.toString('utf8');
      for (let i = this.partial.indexOf('\n'); i >= 0; i = this.partial.indexOf('\n')) {
        const line = this.partial.slice(0, i);
        this.partial = this.partial.slice(i + 1);
        if (!this.pid && line.startsWith(PID_PREFIX)) {
          this.pid = Number(line.slice(PID_PREFIX.length));
          this.resolvePid();
          continue;
        }
        this.lines.push(line);
        for (const listener of this.listeners) listener();
      }
    });
    channel.stderr.on('data', () => {});
    return new Promise((resolve) => {
      channel.on('close', (code: number | null, signal?: string) => {
        this.resolvePid();
        resolve({ exitCode: code ?? null, signal: signal ?? null });
        for (const listener of this.listeners) listener();
      });
    });
  }

  /** Starts argv on `host` (every word quoted); its PID is reported first on stdout by the wrapper. */
  static spawn(host: RemoteHost, argv: readonly string[]): RemoteProcess {
    const line = `sh -c 'echo "${PID_PREFIX}$$"; exec "$@"' sh ${commandLine(argv)}`;
    return new RemoteProcess(host, host.open(line));
  }

  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const check = () => {
        for (const line of this.lines) {
          const match = pattern.exec(line);
          if (match && !settled) {
            settled = true;
            this.listeners.delete(check);
            resolve(match);
            return;
          }
        }
      };
      this.listeners.add(check);
      check();
      this.exited.then(() => {
        if (settled) return;
        settled = true;
        this.listeners.delete(check);
        reject(
          new Error(
            `remote process exited before printing a line matching ${pattern}: ${this.lines.slice(-3).join(' | ')}`,
          ),
        );
      });
      timeoutDelay(timeoutMs).then(() => {
        if (settled) return;
        settled = true;
        this.listeners.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`));
      });
    });
  }

  async kill(): Promise<void> {
    await this.pidKnown;
    if (!this.pid) return;
    const gone = this.exited.then(() => true);
    await this.host.exec(['kill', '-TERM', String(this.pid)]).catch(() => {});
    if (await Promise.race([gone, timeoutDelay(3000).then(() => false)])) return;
    await this.host.exec(['kill', '-KILL', String(this.pid)]).catch(() => {});
    await Promise.race([gone, timeoutDelay(3000)]);
  }
}

/**
 * Runs argv on `host` to completion and collects its output; an abort (Ctrl-C) or the timeout kills
 * the remote process, which closing the channel alone would not do.
 */
export async function runRemote(
  host: RemoteHost,
  argv: readonly string[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const line = `sh -c 'echo "${PID_PREFIX}$$" >&2; exec "$@"' sh ${commandLine(argv)}`;
  const channel = await host.open(line);
  let stdout = '';
  let stderr = '';
  let pid = 0;
  channel.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  channel.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
    if (!pid) {
      const match = new RegExp(`^${PID_PREFIX}(\\d+)\\n`).exec(stderr);
      if (match) {
        pid = Number(match[1]);
        stderr = stderr.slice(match[0].length);
      }
    }
  });
  const kill = () => {
    if (pid) void host.exec(['kill', '-KILL', String(pid)]).catch(() => {});
  };
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? 600_000;
  options.signal?.addEventListener('abort', kill, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve) =>
      channel.on('close', (c: number | null) => resolve(c)),
    );
    if (options.signal?.aborted) throw new Error(`${argv.join(' ')} was stopped (interrupted)`);
    if (timedOut)
      throw new Error(`${argv.join(' ').slice(0, 120)} did not finish within ${timeoutMs} ms; it was killed`);
    return { exitCode: code ?? 128, stdout, stderr };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', kill);
  }
}
