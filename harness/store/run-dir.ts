import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/** The files of one run directory. */
export interface RunPaths {
  dir: string;
  manifest: string;
  samples: string;
  state: string;
  artifacts: string;
}

export function runPaths(dir: string): RunPaths {
  return {
    dir,
    manifest: join(dir, 'manifest.json'),
    samples: join(dir, 'samples.jsonl'),
    state: join(dir, 'state.json'),
    artifacts: join(dir, 'artifacts'),
  };
}

/** A run id sorts by start time: 2026-11-25T10-30-00Z-1a2b3c. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Makes sure `resultsDir` exists and is writable by creating and removing a probe file; a failure is
 * a UserError naming the path and the system's reason.
 */
export function ensureWritableDir(resultsDir: string): string {
  const dir = resolve(resultsDir);
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UserError(
      `The results directory ${dir} is not writable (${e.code ?? 'error'}: ${e.message}). ` +
        'Choose another with --results <dir> or the config field "results".',
    );
  }
  return dir;
}

/** Creates results/<run-id>/ with its artifacts folder. */
export function createRunDir(resultsDir: string, runId: string): RunPaths {
  const paths = runPaths(join(resolve(resultsDir), runId));
  mkdirSync(paths.artifacts, { recursive: true });
  return paths;
}

/** `--resume latest` or `--resume <dir>`: the run directory to continue, checked to hold a manifest. */
export function findRunDir(spec: string, resultsDir: string): RunPaths {
  let dir: string;
  if (spec === 'latest') {
    const root = resolve(resultsDir);
    const runs = existsSync(root)
      ? readdirSync(root)
          .filter((name) => existsSync(join(root, name, 'manifest.json')))
          .sort()
      : [];
    const last = runs.at(-1);
    if (!last)
      throw new UserError(
        `--resume latest: no run with a manifest.json under ${root}. Start one with npm run experiment.`,
      );
    dir = join(root, last);
  } else {
    dir = resolve(spec);
  }
  const paths = runPaths(dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(
      `${spec}: ${dir} is not a directory. Give a run directory (results/<run-id>) or "latest".`,
    );
  }
  if (!existsSync(paths.manifest)) {
    throw new UserError(`${spec}: ${dir} has no manifest.json, so it is not a run directory.`);
  }
  return paths;
}

/** A file-name-safe form of a trial id (latency@25ms#2 -> latency@25ms_2). */
export function artifactDir(paths: RunPaths, trialId: string): string {
  const dir = join(paths.artifacts, trialId.replaceAll('#', '_'));
  mkdirSync(dir, { recursive: true });
  return dir;
}
