import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GUEST_BRIDGE,
  GUEST_SEGMENT,
  HOSTS,
  LAB_GUEST,
  LAB_HOST_IDS,
  LAB_NETNS,
} from '../../harness/lab/topology.ts';
import { PROJECT_ROOT } from '../../harness/version.ts';

/**
 * The lab's names, addresses and ports have one copy, harness/lab/topology.ts: the zx scripts
 * that build and boot the lab, the TypeScript that reaches it and the failover bench all import
 * them. Checked on the code (comments may name a host) of every tracked source file.
 */
const values = [
  ...LAB_HOST_IDS.flatMap((id) => {
    const host = HOSTS[id];
    return [
      host.name,
      String(host.sshPort),
      host.linkAddress,
      host.linkMac,
      String(host.linkUdpPort),
      host.guestSegmentMac,
      host.managementMac,
    ];
  }),
  LAB_NETNS,
  GUEST_SEGMENT.tap,
  GUEST_SEGMENT.clientAddress,
  GUEST_BRIDGE,
  LAB_GUEST.address,
  LAB_GUEST.mac,
];

/** The file's code: comment lines and trailing // comments removed. */
function codeOf(file: string): string {
  return readFileSync(join(PROJECT_ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*\*?|\*)/.test(line))
    .map((line) => line.replace(/\s\/\/ .*$/, ''))
    .join('\n');
}

describe('the lab topology', () => {
  const sources = execFileSync(
    'git',
    ['ls-files', '-co', '--exclude-standard', 'harness', 'bench', 'workloads'],
    {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter((file) => /\.(ts|sh)$/.test(file) && file !== 'harness/lab/topology.ts');

  it('has the lab scripts as zx scripts, no shell scripts under harness/lab or the failover bench', () => {
    expect(sources.filter((file) => file.startsWith('harness/lab/') && file.endsWith('.sh'))).toEqual([]);
    expect(sources).toContain('harness/lab/scripts/net.ts');
    expect(codeOf('harness/lab/scripts/net.ts')).toMatch(/from 'zx'/);
    expect(sources).toContain('bench/lab-failover.ts');
  });

  it('is written down only in harness/lab/topology.ts', () => {
    const copies: string[] = [];
    for (const file of sources) {
      const code = codeOf(file);
      for (const value of values) {
        // Whole words only: the port 10021 must not match inside 100210.
        const pattern = new RegExp(`(^|[^\\w.:])${value.replace(/[.]/g, '\\.')}($|[^\\w.:])`);
        if (pattern.test(code)) copies.push(`${file}: ${value}`);
      }
    }
    expect(copies).toEqual([]);
  });
});
