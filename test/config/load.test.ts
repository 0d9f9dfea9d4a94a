import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagsLayer } from '../../harness/commands/experiment-options.ts';
import { labelLayer, matrixLayer, readJsonLayer, resolveConfig } from '../../harness/config/load.ts';
import { DEFAULT_CONFIG, FULL_MATRIX } from '../../harness/config/presets.ts';
import { UserError } from '../../harness/errors.ts';
import { WORKLOAD_NAMES } from '../../workloads/index.ts';

const resolveError = (fn: () => unknown): UserError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
};

describe('config resolution', () => {
  it('defaults to the quick matrix on the emulated testbed', () => {
    const config = resolveConfig([]);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.matrix.intervals).toEqual([25, 100]);
    expect(config.testbed.kind).toBe('emulated');
  });

  it('applies --matrix full and then individual flags on top', () => {
    const matrix = matrixLayer('full');
    const config = resolveConfig([
      labelLayer(matrix.layer, matrix.label),
      flagsLayer({ trials: '7', intervals: '50, 200', workloads: 'latency' }),
    ]);
    expect(config.matrix).toEqual({
      ...FULL_MATRIX,
      trials: 7,
      intervals: [50, 200],
      workloads: ['latency'],
    });
  });

  it("applies the testbed's own defaults under the user's values (xen-lab: socat echo, guest dirtier)", () => {
    const lab = resolveConfig([flagsLayer({ testbed: 'xen-lab' })]);
    expect(lab.workloads.latency.echoServer).toBe('socat');
    expect(lab.workloads.memory.guestDirtier).toBe('/usr/bin/dirtier');
    expect(lab.workloads.latency.ratePerS).toBe(53);
    expect(lab.workloads.latency.payloadBytes).toBe(DEFAULT_CONFIG.workloads.latency.payloadBytes);
    const explicit = resolveConfig([
      labelLayer({ workloads: { latency: { echoServer: 'node' } } }, 'lab.json'),
      flagsLayer({ testbed: 'xen-lab' }),
    ]);
    expect(explicit.workloads.latency.echoServer).toBe('node');
    expect(resolveConfig([]).workloads.memory.guestDirtier).toBeUndefined();
  });

  it('xen-lab: network buffering on by default, --netbuf off for xl remus -F -n; refused on other testbeds', () => {
    expect(resolveConfig([flagsLayer({ testbed: 'xen-lab' })]).testbed.xenLab).toEqual({
      networkBuffering: true,
    });
    expect(resolveConfig([flagsLayer({ testbed: 'xen-lab', netbuf: 'off' })]).testbed.xenLab).toEqual({
      networkBuffering: false,
    });
    expect(resolveConfig([]).testbed.xenLab).toBeUndefined();
    const bad = resolveError(() => resolveConfig([flagsLayer({ testbed: 'xen-lab', netbuf: 'maybe' })]));
    expect(bad.message).toMatch(
      /testbed\.xenLab\.networkBuffering \(from --netbuf\): got "maybe \(expected on or off\)"/,
    );
    const elsewhere = resolveError(() => resolveConfig([flagsLayer({ netbuf: 'off' })]));
    expect(elsewhere.message).toMatch(
      /testbed\.xenLab.*only for testbed\.kind "xen-lab" \(this run's is "emulated"\)/,
    );
  });

  it('reports every invalid field at once with its dot path, value, expectation and source', () => {
    const error = resolveError(() =>
      resolveConfig([
        labelLayer({ workloads: { latency: { ratePerS: -1 } }, typo: true }, 'lab.json'),
        flagsLayer({ intervals: '-5,abc', workloads: 'cpu,gpu', trials: '0', freezer: 'magic' }),
      ]),
    );
    expect(error.exitCode).toBe(2);
    const text = error.message;
    expect(text).toContain('7 problems');
    expect(text).toMatch(
      /matrix\.intervals\.0 \(from --intervals\): got -5; expected an interval of at least 1 ms/,
    );
    expect(text).toMatch(/matrix\.intervals\.1 \(from --intervals\): got "abc"; expected .*number/);
    expect(text).toContain(
      `matrix.workloads.1 (from --workloads): got "gpu"; expected one of ${WORKLOAD_NAMES.join(', ')}`,
    );
    expect(text).toMatch(/matrix\.trials \(from --trials\): got 0; expected at least 1 trial/);
    expect(text).toMatch(/testbed\.emulated\.freezer \(from --freezer\): got "magic"; expected one of auto/);
    expect(text).toMatch(/workloads\.latency\.ratePerS \(from lab\.json\): got -1/);
    expect(text).toMatch(/typo \(from lab\.json\): got true; no such field/);
  });

  it('names the file when a config file is not JSON or not an object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-config-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "matrix": ');
    expect(resolveError(() => readJsonLayer(bad, 'Config file')).message).toMatch(
      new RegExp(`Config file ${bad} is not valid JSON`),
    );
    const list = join(dir, 'list.json');
    writeFileSync(list, '[1, 2]');
    expect(resolveError(() => readJsonLayer(list, 'Config file')).message).toMatch(/must hold a JSON object/);
    expect(resolveError(() => readJsonLayer(join(dir, 'missing.json'), 'Config file')).message).toMatch(
      /cannot be read \(ENOENT\)/,
    );
  });

  it('reads a matrix file holding a subset of the matrix fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-matrix-'));
    const file = join(dir, 'matrix.json');
    writeFileSync(file, JSON.stringify({ intervals: [40], trials: 2 }));
    const m = matrixLayer(file);
    const config = resolveConfig([labelLayer(m.layer, m.label)]);
    expect(config.matrix.intervals).toEqual([40]);
    expect(config.matrix.trials).toBe(2);
    expect(config.matrix.workloads).toEqual(['cpu', 'latency']);
  });
});
