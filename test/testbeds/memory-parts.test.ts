import { describe, expect, it } from 'vitest';
import { RangeList } from '../../harness/testbeds/emulated/memory/ranges.ts';
import { parseWritableMemory, uncovered } from '../../harness/testbeds/emulated/memory/regions.ts';
import { ProcessReplica } from '../../harness/testbeds/emulated/memory/replica.ts';

const MAPS = `55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 131  /usr/bin/dash
55d0c0a14000-55d0c0a15000 rw-p 00014000 08:01 131  /usr/bin/dash
55d0c0a15000-55d0c0a17000 rw-p 00000000 00:00 0
55d0c1b00000-55d0c1b21000 rw-p 00000000 00:00 0      [heap]
7f1e2c000000-7f1e2c001000 rw-s 00000000 00:05 4096   /dev/shm/x
7ffd5a400000-7ffd5a421000 rw-p 00000000 00:00 0      [stack]
7ffd5a5f0000-7ffd5a5f4000 r--p 00000000 00:00 0      [vvar]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]
`;

describe('memory replication parts', () => {
  it('reads writable regions from maps: merged when adjacent, file-backed parts kept apart', () => {
    const { regions, fileBacked } = parseWritableMemory(MAPS);
    expect(regions).toEqual([
      { start: 0x55d0c0a14000, end: 0x55d0c0a17000 },
      { start: 0x55d0c1b00000, end: 0x55d0c1b21000 },
      { start: 0x7f1e2c000000, end: 0x7f1e2c001000 },
      { start: 0x7ffd5a400000, end: 0x7ffd5a421000 },
    ]);
    expect(fileBacked).toEqual([
      { start: 0x55d0c0a14000, end: 0x55d0c0a15000 },
      { start: 0x7f1e2c000000, end: 0x7f1e2c001000 },
    ]);
  });

  it('finds the parts of a new layout that the old one did not cover', () => {
    const old = [
      { start: 0x1000, end: 0x3000 },
      { start: 0x8000, end: 0x9000 },
    ];
    const next = [
      { start: 0x1000, end: 0x5000 },
      { start: 0x7000, end: 0xa000 },
    ];
    expect(uncovered(next, old)).toEqual([
      { start: 0x3000, end: 0x5000 },
      { start: 0x7000, end: 0x8000 },
      { start: 0x9000, end: 0xa000 },
    ]);
    expect(uncovered(old, old)).toEqual([]);
  });

  it('keeps the bytes of addresses that stay mapped when the layout changes', () => {
    const replica = new ProcessReplica();
    replica.setLayout([{ start: 0x1000, end: 0x3000 }]);
    replica.view(0x2000, 4)?.write('abcd');
    replica.setLayout([{ start: 0x2000, end: 0x4000 }]);
    expect(replica.view(0x2000, 4)?.toString()).toBe('abcd');
    expect(replica.view(0x3000, 4)?.equals(Buffer.alloc(4))).toBe(true);
    expect(replica.view(0x1000, 4)).toBeNull();
    expect(replica.view(0x3ffe, 4)).toBeNull(); // crosses the end of its region
  });

  it('coalesces adjacent ranges into one (one iovec each)', () => {
    const list = new RangeList(1);
    list.push(0x1000, 0x2000);
    list.push(0x2000, 0x3000);
    list.push(0x5000, 0x6000);
    expect(list.count).toBe(2);
    expect(list.bytes).toBe(0x3000);
    expect(Array.from(list.pairs())).toEqual([0x1000, 0x3000, 0x5000, 0x6000]);
  });
});
