/**
 * The checkpoint controller: a child process of the harness that owns the epoch loop, the freezer
 * and the output-commit proxy of one guest. It runs apart from the harness so that its blocking
 * waits (epoch timer, freeze polls) never delay the harness's own clients, and so that it can run
 * at real-time priority (started under `chrt --reset-on-fork`: the guest never inherits it).
 */
import { Checkpointer } from './checkpointer.ts';
import type { ControllerRequest, ReplyEnvelope, RequestEnvelope } from './controller-protocol.ts';
import { type Freezer, openFreezer } from './freezer.ts';
import { OutputCommitProxy } from './output-proxy.ts';
import { commitAtEndOfPause } from './replicator.ts';

const proxy = new OutputCommitProxy();
let freezer: Freezer | null = null;
let checkpointer: Checkpointer | null = null;

function send(reply: ReplyEnvelope): void {
  process.send?.(reply);
}

/** Best effort: the guest must never stay frozen because the controller went away. */
function thawGuest(): void {
  try {
    freezer?.thaw();
  } catch {
    // the cgroup or the process group is gone
  }
}

async function handle(request: ControllerRequest): Promise<unknown> {
  switch (request.type) {
    case 'init':
      freezer = openFreezer(request.target);
      return { freezer: freezer.kind };
    case 'addGroup':
      freezer?.addGroup(request.pgid);
      return null;
    case 'forward':
      return proxy.forward(request.upstream, request.listenHost, request.transport);
    case 'protect': {
      if (!freezer) throw new Error('protect before init');
      if (checkpointer) throw new Error('already protected');
      const started = performance.now();
      checkpointer = new Checkpointer(freezer, proxy, commitAtEndOfPause, request.intervalMs);
      await checkpointer.start();
      return { firstCommitMs: Number((performance.now() - started).toFixed(3)) };
    }
    case 'unprotect': {
      if (!checkpointer) throw new Error('not protected');
      const report = await checkpointer.stop();
      checkpointer = null;
      return report;
    }
    case 'shutdown':
      await shutdown();
      return null;
  }
}

async function shutdown(): Promise<void> {
  try {
    await checkpointer?.stop();
  } catch {
    // reported by the failed checkpoint already
  }
  checkpointer = null;
  thawGuest();
  await proxy.close();
  freezer?.close();
  freezer = null;
}

process.on('message', (message: RequestEnvelope) => {
  handle(message.request).then(
    (result) => {
      send({ id: message.id, ok: true, result });
      if (message.request.type === 'shutdown') process.disconnect();
    },
    (error: unknown) =>
      send({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

// The harness died or closed the channel: thaw the guest and go.
process.on('disconnect', () => {
  thawGuest();
  process.exit(0);
});
process.on('uncaughtException', (error) => {
  thawGuest();
  process.stderr.write(`checkpoint controller: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  thawGuest();
  process.exit(0);
});
// Ctrl-C reaches the harness, which stops us in order; ignore the terminal's SIGINT here.
process.on('SIGINT', () => {});

send({ id: 0, ready: true });
