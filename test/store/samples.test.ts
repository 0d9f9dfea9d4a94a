import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendSamples, readSamples, rewriteSamples } from '../../harness/store/samples.ts';
import { sampleRow } from '../helpers/sample-row.ts';

const row = (trialId: string, value: number) => sampleRow(trialId, value);

describe('samples.jsonl', () => {
  it('round-trips appended rows', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rb-samples-')), 'samples.jsonl');
    appendSamples(file, [row('cpu@baseline#1', 1), row('cpu@baseline#2', 2)]);
    appendSamples(file, [row('cpu@25ms#1', 3)]);
    const read = readSamples(file);
    expect(read.rows.map((r) => r.value)).toEqual([1, 2, 3]);
    expect(read.warnings).toEqual([]);
  });

  it('drops a truncated last line with a warning instead of crashing', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rb-samples-')), 'samples.jsonl');
    appendSamples(file, [row('cpu@baseline#1', 1)]);
    appendFileSync(file, JSON.stringify(row('cpu@baseline#2', 2)).slice(0, 40));
    const read = readSamples(file);
    expect(read.rows).toHaveLength(1);
    expect(read.warnings.join()).toMatch(/last line is truncated/);
    expect(read.validBytes).toBe(readFileSync(file, 'utf8').indexOf('\n') + 1);
  });

  it('reads a file of many chunks: lines across chunk ends, multi-byte text, a corrupt line, shared strings', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rb-samples-')), 'samples.jsonl');
    // ~3 MiB of rows, each with a non-ASCII unit so that some chunk end falls inside a character.
    const rows = Array.from({ length: 9000 }, (_, i) => ({
      ...row(`cpu@25ms#${i + 1}`, i),
      unit: 'µs ⏱',
      mechanisms: { freezer: 'cgroup-v2', note: 'x'.repeat(200) },
    }));
    appendSamples(file, rows.slice(0, 4000));
    appendFileSync(file, '{"not json\n');
    appendSamples(file, rows.slice(4000));
    const bytes = readFileSync(file);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    const read = readSamples(file);
    expect(read.rows.map((r) => r.value)).toEqual(rows.map((r) => r.value));
    expect(read.rows.every((r) => r.unit === 'µs ⏱')).toBe(true);
    expect(read.warnings).toEqual([`${file}: line 4001 is not valid JSON; skipped it.`]);
    expect(read.validBytes).toBe(bytes.length);
    // Equal mechanism records are one object, equal strings one string.
    expect(read.rows[0]?.mechanisms).toBe(read.rows[8999]?.mechanisms);
    expect(read.rows[0]?.mechanisms).toEqual(rows[0]?.mechanisms);
  });

  it('keeps only finished trials when rewritten on resume', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rb-samples-')), 'samples.jsonl');
    appendSamples(file, [row('a#1', 1), row('b#1', 2), row('a#2', 3)]);
    const dropped = rewriteSamples(file, readSamples(file).rows, new Set(['a#1', 'a#2']));
    expect(dropped).toBe(1);
    expect(readSamples(file).rows.map((r) => r.trialId)).toEqual(['a#1', 'a#2']);
  });
});
