import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDurable, writeFileAtomic } from '../../harness/store/durable.ts';

const isRoot = process.getuid?.() === 0;

/**
 * A real full disk: a 256 KiB tmpfs filled to the last page. A write of three pages then writes one
 * page and returns 4096 (a short write); only the next write fails with ENOSPC.
 */
describe.skipIf(!isRoot)('durable writes on a full disk', () => {
  const mount = mkdtempSync(join(tmpdir(), 'rb-full-'));
  const filler = join(mount, 'filler');
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'rb-full', mount]);
  });
  afterAll(() => {
    execFileSync('umount', [mount]);
  });

  /** Fills the file system, then frees exactly one page. */
  function leaveOnePageFree(): void {
    const fd = openSync(filler, 'w');
    const page = Buffer.alloc(4096, 1);
    let size = 0;
    try {
      for (;;) size += writeSync(fd, page);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    ftruncateSync(fd, size - 4096);
    closeSync(fd);
  }

  it('writeFileAtomic throws and leaves the old file whole (no truncated file renamed into place)', () => {
    const path = join(mount, 'state.json');
    writeFileSync(path, 'old state\n');
    leaveOnePageFree();
    const big = `${'x'.repeat(3 * 4096)}\n`;
    expect(() => writeFileAtomic(path, big)).toThrow(/ENOSPC/);
    expect(readFileSync(path, 'utf8')).toBe('old state\n');
    expect(readdirSync(mount).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('appendDurable throws and cuts the file back: no partial line for the next append', () => {
    const path = join(mount, 'samples.jsonl');
    writeFileSync(path, '{"row":1}\n');
    leaveOnePageFree();
    expect(() => appendDurable(path, `{"row":2,"pad":"${'y'.repeat(3 * 4096)}"}\n`)).toThrow(/ENOSPC/);
    expect(readFileSync(path, 'utf8')).toBe('{"row":1}\n');
    expect(statSync(path).size).toBe(10);
    expect(existsSync(filler)).toBe(true);
  });
});
