import type { Endpoint, ProtectionReport, Transport } from '../types.ts';
import type { EpochSchedule } from './checkpointer.ts';
import type { FreezerTarget } from './freezer.ts';
import type { MemoryPlan } from './memory/choose.ts';

/**
 * Requests from the harness to the checkpoint controller process (over Node's IPC channel), and
 * what each one answers.
 */
export type ControllerRequest =
  | { type: 'init'; target: FreezerTarget }
  | { type: 'addGroup'; pgid: number }
  | { type: 'forward'; upstream: Endpoint; listenHost: string; transport: Transport }
  | { type: 'protect'; schedule: EpochSchedule; memory: MemoryPlan | null }
  | { type: 'unprotect' }
  | { type: 'shutdown' };

export interface ControllerResults {
  init: { freezer: string };
  addGroup: null;
  forward: Endpoint;
  protect: { firstCommitMs: number };
  unprotect: ProtectionReport;
  shutdown: null;
}

export type RequestEnvelope = { id: number; request: ControllerRequest };
export type ReplyEnvelope =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { id: 0; ready: true };
