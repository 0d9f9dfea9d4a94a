import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** Flushes a directory entry (after a rename or create) so the new name survives power loss. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes all of `text`. write(2) may write less than asked (a disk that fills up mid-write writes
 * what fits and fails only on the next call), so loop until done; a write of nothing is an error.
 */
export function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    const written = writeSync(fd, bytes, offset, bytes.length - offset);
    if (written <= 0) throw Object.assign(new Error('write wrote nothing'), { code: 'EIO' });
    offset += written;
  }
}

/**
 * Appends text and fsyncs it before returning: the data is on disk when this returns. When the
 * append fails part-way (a full disk), the file is cut back to its old length so that no partial
 * line is left for the next append to run into.
 */
export function appendDurable(path: string, text: string): void {
  const fd = openSync(path, 'a');
  try {
    const before = fstatSync(fd).size;
    try {
      writeAll(fd, text);
      fsyncSync(fd);
    } catch (error) {
      try {
        ftruncateSync(fd, before);
      } catch {
        // the reader drops a truncated last line with a warning
      }
      throw error;
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes a file atomically (temp file, fsync, rename, fsync of the directory). */
export function writeFileAtomic(path: string, text: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    writeAll(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true }); // e.g. ENOSPC: the old file stays as it was
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  fsyncDir(dirname(path));
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
