import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { NETBUF_CHECK_SCRIPT, parseNetbufCheck } from '../../harness/netbuf/check.ts';
import {
  classifyRemusEnd,
  parseXlInfo,
  parseXlList,
  remusOptions,
  remusProgress,
} from '../../harness/testbeds/xen/xl-output.ts';

// Verbatim samples of Debian's Xen 4.17.7 xl, tabs kept.
const LIST = `Name                                        ID   Mem VCPUs\tState\tTime(s)
Domain-0                                     0  1024     1     r-----      68.6
tinyh--incoming                              2   128     0     --p---       0.0
`;
const INFO = `host                   : xena
free_memory            : 1000
xen_major              : 4
xen_minor              : 17
xen_extra              : .7
xen_version            : 4.17.7
xen_changeset          : 
virt_caps              : pv hvm hap gnttab-v1 gnttab-v2
`;
const STEADY = `xc: progress: Domain now suspended: 0/0    0%
xc: progress: Checkpointed save: 402/402  100%
xc: info: All records buffered
xc: info: All records processed
xc: progress: Domain now suspended: 0/0    0%
xc: progress: Checkpointed save: 1024/2100   48%
xc: progress: Checkpointed save: 2100/2100  100%
xc: info: All records buffered
xc: info: All records processed
`;

describe('xl output parsers', () => {
  it('reads xl list rows (literal tabs in the header) and xl info keys', () => {
    expect(parseXlList(LIST)).toEqual([
      { name: 'Domain-0', domid: 0, memMiB: 1024, vcpus: 1, state: 'r-----' },
      { name: 'tinyh--incoming', domid: 2, memMiB: 128, vcpus: 0, state: '--p---' },
    ]);
    const info = parseXlInfo(INFO);
    expect(info.xen_version).toBe('4.17.7');
    expect(info.free_memory).toBe('1000');
    expect(info.xen_changeset).toBe('');
  });

  it('counts acknowledged checkpoints and the pages of each epoch', () => {
    expect(remusProgress(STEADY)).toEqual({ checkpoints: 2, dirtyPages: [402, 2100] });
  });

  it('finds the options of xl help remus', () => {
    const help =
      '-i MS                   Checkpoint ...\n-F                      Enable unsafe ...\n-n                      Disable network ...\n';
    expect([...remusOptions(help)]).toEqual(['i', 'F', 'n']);
  });

  it('classifies how xl remus ended, from its exit status and last lines', () => {
    expect(classifyRemusEnd(0, 'Remus: Primary domain has been destroyed.').end).toBe('primary-destroyed');
    expect(
      classifyRemusEnd(
        1,
        'libxl: error: libxl_remus.c:87:libxl__remus_setup: Domain 1:Remus: No support for network buffering\nRemus: Backup failed? resuming domain at primary.',
      ).end,
    ).toBe('no-network-buffering');
    expect(classifyRemusEnd(1, 'Remus: Backup failed? resuming domain at primary.').end).toBe(
      'backup-failed',
    );
    expect(
      classifyRemusEnd(1, 'file/stream truncated reading banner from migration receiver stream').end,
    ).toBe('transport-failed');
    expect(classifyRemusEnd(1, 'Failed to suspend domain at primary.').end).toBe('suspend-timeout');
    expect(classifyRemusEnd(137, 'xc: info: All records processed').end).toBe('killed');
  });
});

describe('network buffering check of a dom0', () => {
  it('lists each missing piece, in order, and nothing when all are there', () => {
    expect(
      parseNetbufCheck(
        'missing libnl in /usr/lib/x86_64-linux-gnu/libxenlight.so.4.17.0 (libxl was built without network buffering)\nmissing kernel module sch_plug\n',
      ),
    ).toEqual([
      'libnl in /usr/lib/x86_64-linux-gnu/libxenlight.so.4.17.0 (libxl was built without network buffering)',
      'kernel module sch_plug',
    ]);
    expect(parseNetbufCheck('')).toEqual([]);
  });

  it('runs as a plain sh script: on this machine (no Xen installed) libxenlight is missing', async () => {
    const { stdout, exitCode } = await execa('sh', ['-c', NETBUF_CHECK_SCRIPT]);
    expect(exitCode).toBe(0);
    expect(parseNetbufCheck(stdout)[0]).toMatch(/^libxenlight \(not in the ldconfig cache\)$/);
    expect(parseNetbufCheck(stdout)).toContain(
      '/etc/xen/scripts/remus-netbuf-setup (the hotplug script libxl runs per vif)',
    );
  });
});
