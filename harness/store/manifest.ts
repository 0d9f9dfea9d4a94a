import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { HostFacts } from '../host/facts.ts';
import type { Cell } from '../plan/plan.ts';
import { writeJsonAtomic } from './durable.ts';
import { readJsonFile } from './json-file.ts';
import type { MetricSpec } from './samples.ts';
import type { TestbedFacts } from './testbed-facts.ts';

export type { TestbedFacts } from './testbed-facts.ts';

/** One start (or resume) of a run: hosts and mechanisms can differ between sessions of one run. */
export interface RunSession {
  startedAt: string;
  resumed: boolean;
  host: HostFacts;
  hostDigest: string;
  testbed: TestbedFacts;
}

/** manifest.json: everything needed to understand, reproduce and resume the run. */
export interface Manifest {
  schema: 1;
  runId: string;
  createdAt: string;
  harnessVersion: string;
  config: Config;
  /** Hash of the config fields that change what is measured (not the results path). */
  configHash: string;
  seed: number;
  cells: Cell[];
  /** Trial ids in execution order (of this shard, when sharded). */
  order: string[];
  /** Set when this run is one shard of a plan (`--shard i/n`); `merge` joins the shards. */
  shard?: { index: number; count: number; fullOrder: string[] };
  sessions: RunSession[];
  /**
   * Set on a run merged from shards: each shard, where it ran and the trials it finished there
   * (shards of one plan may run on different host pairs).
   */
  shards?: ShardRecord[];
  /**
   * The metric specs of each workload of the run (unit, direction, the primary one), as the
   * workload declared them for this run's config. Absent in runs written before they were recorded.
   */
  metrics?: Record<string, MetricSpec[]>;
}

/** One shard of a merged run: which of the n, where it ran, what it finished. */
export interface ShardRecord {
  index: number;
  count: number;
  /** The shard's own run id and directory when merged. */
  runId: string;
  dir: string;
  /** Where it ran: a digest of its testbed's placement fields and one line naming them. */
  placement: { id: string; label: string };
  /** The harness hosts of its sessions (a shard resumed elsewhere has several). */
  harnessHosts: string[];
  /** The trials it finished, in its execution order. */
  trials: string[];
}

/** The part of the config that defines the experiment (where results go and how much disk to keep free do not). */
export function experimentConfig(config: Config): Omit<Config, 'results' | 'minFreeMB' | 'retries'> {
  const { results: _results, minFreeMB: _minFree, retries: _retries, ...rest } = config;
  return rest;
}

export function configHash(config: Config): string {
  return createHash('sha256')
    .update(stableStringify(experimentConfig(config)))
    .digest('hex')
    .slice(0, 16);
}

/** JSON with sorted keys, so equal configs hash equal whatever the key order. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Dot paths whose values differ between two configs (for the "config changed" refusal). */
export function configDifferences(a: unknown, b: unknown, prefix = ''): string[] {
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((key) =>
      configDifferences(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        prefix ? `${prefix}.${key}` : key,
      ),
    );
  }
  return stableStringify(a) === stableStringify(b) ? [] : [prefix || '(root)'];
}

export function writeManifest(path: string, manifest: Manifest): void {
  writeJsonAtomic(path, manifest);
}

export function readManifest(path: string): Manifest {
  return readJsonFile<Manifest>(
    path,
    'The run cannot be resumed or reported without it; restore it from a copy, or start a new run (samples.jsonl keeps the raw rows).',
  );
}

export function digest(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 12);
}
