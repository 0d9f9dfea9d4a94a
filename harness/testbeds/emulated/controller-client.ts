import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { timeoutDelay } from '../../util/delay.ts';
import { PROJECT_ROOT } from '../../version.ts';
import type { ControllerRequest, ControllerResults, ReplyEnvelope } from './controller-protocol.ts';

const CONTROLLER_SCRIPT = fileURLToPath(new URL('./controller.ts', import.meta.url));

/** The harness's handle on a checkpoint controller process. */
export class ControllerClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exitError: Error | null = null;
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitError = new Error(
          `the checkpoint controller (pid ${child.pid}) exited (${signal ?? `code ${code}`})`,
        );
        for (const { reject } of this.pending.values()) reject(this.exitError);
        this.pending.clear();
        resolve();
      });
    });
    child.on('message', (reply: ReplyEnvelope) => {
      if (!('ok' in reply)) return;
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`checkpoint controller: ${reply.error}`));
    });
  }

  /**
   * Starts the controller under `priorityPrefix` (e.g. chrt --reset-on-fork -f 50) in its own
   * process group, so that a Ctrl-C at the terminal reaches only the harness, which stops it in order.
   */
  static async start(priorityPrefix: readonly string[], env: NodeJS.ProcessEnv): Promise<ControllerClient> {
    const argv = [...priorityPrefix, process.execPath, '--import', 'tsx', CONTROLLER_SCRIPT];
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env,
    });
    const client = new ControllerClient(child);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: ReplyEnvelope) => {
        if ('ready' in reply) {
          child.off('message', onMessage);
          resolve();
        }
      };
      child.on('message', onMessage);
      child.once('error', reject);
      client.exited.then(() => reject(client.exitError));
    });
    return client;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request<T extends ControllerRequest['type']>(
    request: Extract<ControllerRequest, { type: T }>,
  ): Promise<ControllerResults[T]> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, request }, (error) => {
        if (error) {
          this.pending.delete(id);
          reject(error);
        }
      });
    });
  }

  /** Asks for an orderly shutdown, then kills the process if it does not exit in time. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.exitError) return;
    try {
      await Promise.race([this.request({ type: 'shutdown' }), timeoutDelay(timeoutMs)]);
    } catch {
      // exited or failed: the kill below settles it
    }
    const exited = await Promise.race([
      this.exited.then(() => true),
      timeoutDelay(timeoutMs).then(() => false),
    ]);
    if (!exited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
