/**
 * The checkpoint controller: a child process of the harness that owns the epoch loop, the freezer
 * and the output-commit proxy of one guest. It runs apart from the harness so that its blocking
 * waits (epoch timer, freeze polls) never delay the harness's own clients, and so that it can run
 * at real-time priority (started under `chrt --reset-on-fork`: the guest never inherits it).
 */
import { Checkpointer } from './checkpointer.ts';
import type { ControllerRequest, ReplyEnvelope, RequestEnvelope } from './controller-protocol.ts';
import { type Freezer, openFreezer } from './freezer.ts';
import { BackupLink } from './memory/backup-link.ts';
import { buildMechanisms } from './memory/choose.ts';
import { MemoryReplicator } from './memory/memory-replicator.ts';
import { OutputCommitProxy } from './output-proxy.ts';
import { commitAtEndOfPause, type Replicator } from './replicator.ts';

const proxy = new OutputCommitProxy();
let freezer: Freezer | null = null;
let checkpointer: Checkpointer | null = null;
/** The protection's memory replicator (and its backup process), or null without memory copy. */
let memory: MemoryReplicator | null = null;

async function closeMemory(): Promise<void> {
  const closing = memory;
  memory = null;
  await closing?.close();
}

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
      let replicator: Replicator = commitAtEndOfPause;
      try {
        if (request.memory) {
          const { tracker, gatherer } = buildMechanisms(request.memory);
          const activeFreezer = freezer;
          const rate = request.memory.backupLink?.rateMbit;
          // Loaded only for a shaped link: its imports (execa) would slow every controller's start.
          const shaped =
            rate === undefined
              ? null
              : await (await import('./memory/shaped-link.ts')).ShapedLink.create(rate);
          memory = new MemoryReplicator(
            () => activeFreezer.members(),
            tracker,
            gatherer,
            await BackupLink.start(shaped),
          );
          memory.prepare();
          replicator = memory;
        }
        checkpointer = new Checkpointer(freezer, proxy, replicator, request.schedule);
        await checkpointer.start();
      } catch (error) {
        checkpointer = null;
        await closeMemory();
        throw error;
      }
      return { firstCommitMs: Number((performance.now() - started).toFixed(3)) };
    }
    case 'unprotect': {
      if (!checkpointer) throw new Error('not protected');
      try {
        const report = await checkpointer.stop();
        if (memory) report.replication = { ...memory.notes, mechanism: memory.mechanism };
        return report;
      } finally {
        checkpointer = null;
        await closeMemory();
      }
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
  await closeMemory().catch(() => {});
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
