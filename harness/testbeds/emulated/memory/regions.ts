import { readFileSync } from 'node:fs';

export const PAGE_SIZE = 4096;

/** A writable mapping of a guest process: [start, end) in bytes, page-aligned. */
export interface Region {
  start: number;
  end: number;
}

/**
 * Mappings the kernel manages itself and never lets a process write through normal stores (or that
 * cannot be read with process_vm_readv): never replicated.
 */
const SPECIAL = new Set(['[vvar]', '[vvar_vclock]', '[vdso]', '[vsyscall]', '[uprobes]']);

/**
 * The writable mappings of a process from /proc/PID/maps (addresses below 2^47 fit a Number exactly).
 * Everything a process can store into: heap, stacks, anonymous and file-backed private mappings,
 * shared mappings. This is the process's share of a VM's memory.
 */
/**
 * A process's writable memory: the regions to replicate, and the parts of them that map a file.
 * A private file page the process never touched is not in its page table, yet reads as the file's
 * bytes (a library's .data), so a full copy must take those pages even when pagemap says absent.
 */
export interface WritableMemory {
  regions: Region[];
  fileBacked: Region[];
}

export function parseWritableRegions(mapsText: string): Region[] {
  return parseWritableMemory(mapsText).regions;
}

export function parseWritableMemory(mapsText: string): WritableMemory {
  const regions: Region[] = [];
  const fileBacked: Region[] = [];
  for (const line of mapsText.split('\n')) {
    if (!line) continue;
    const dash = line.indexOf('-');
    const space = line.indexOf(' ', dash);
    const perms = line.slice(space + 1, space + 5);
    if (perms[1] !== 'w') continue;
    const name = line.slice(line.lastIndexOf(' ') + 1);
    if (SPECIAL.has(name)) continue;
    const start = Number.parseInt(line.slice(0, dash), 16);
    const end = Number.parseInt(line.slice(dash + 1, space), 16);
    // Fields: range perms offset dev inode [path]; inode 0 is anonymous memory.
    if (line.slice(space + 6).split(' ', 4)[2] !== '0') fileBacked.push({ start, end });
    const last = regions.at(-1);
    // Adjacent writable mappings are one region for the copy (fewer, longer ranges).
    if (last && last.end === start) last.end = end;
    else regions.push({ start, end });
  }
  return { regions, fileBacked };
}

export function readWritableMemory(pid: number): WritableMemory {
  return parseWritableMemory(readFileSync(`/proc/${pid}/maps`, 'latin1'));
}

export function readWritableRegions(pid: number): Region[] {
  return readWritableMemory(pid).regions;
}

export function sameLayout(a: readonly Region[], b: readonly Region[]): boolean {
  return a.length === b.length && a.every((r, i) => r.start === b[i]?.start && r.end === b[i]?.end);
}

/** Parts of `next` not covered by `previous` (both sorted, non-overlapping). */
export function uncovered(next: readonly Region[], previous: readonly Region[]): Region[] {
  const out: Region[] = [];
  let j = 0;
  for (const region of next) {
    let cursor = region.start;
    while (j < previous.length && (previous[j] as Region).end <= cursor) j++;
    let k = j;
    while (cursor < region.end) {
      const p = previous[k];
      if (!p || p.start >= region.end) {
        out.push({ start: cursor, end: region.end });
        break;
      }
      if (p.start > cursor) out.push({ start: cursor, end: p.start });
      cursor = Math.max(cursor, p.end);
      k++;
    }
  }
  return out;
}
