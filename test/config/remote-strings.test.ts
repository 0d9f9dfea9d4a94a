import { describe, expect, it } from 'vitest';
import { labelLayer, resolveConfig } from '../../harness/config/load.ts';

/** A valid xen testbed config (the shape of test/helpers/xen-hosts.ts, without real hosts). */
const target = { host: 'dom0-a.lab', port: 22, user: 'root', knownHosts: '/etc/remus/known_hosts' };
const XEN = {
  primary: target,
  backup: { ...target, host: '10.0.0.2' },
  backupAddress: 'root@10.0.0.2',
  transport: 'ssh -i /root/.ssh/id_ed25519 -o BatchMode=yes -o ServerAliveInterval=1',
  guest: {
    domain: 'bench',
    address: 'fe80::1%xenbr0',
    ssh: { ...target, host: '192.168.5.10' },
    netns: 'rb-lab',
  },
  remus: {
    unsafe: { noNetbuf: false, noDiskReplication: false, blackhole: false },
    logDir: '/var/log/remus-bench',
  },
  readyTimeoutS: 60,
};

/** The problems of the xen testbed config with `path` set to `value`, or '' when it loads. */
function problemsWith(path: string, value: unknown): string {
  const xen = structuredClone(XEN) as Record<string, unknown>;
  const keys = path.split('.');
  let node = xen;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1) as string] = value;
  try {
    resolveConfig([labelLayer({ testbed: { kind: 'xen', xen } }, 'the test config')]);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

const HOSTILE_WORDS = ['a b', 'x;reboot', '$(id)', '`id`', 'a\nb', "it's", '-oProxyCommand=touch /tmp/x', ''];

describe('config strings that reach a remote command line or an ssh argument', () => {
  it('the valid config loads (hostnames, IPv4, IPv6 with zone, user@host, a transport with options)', () => {
    expect(problemsWith('readyTimeoutS', 60)).toBe('');
  });

  for (const field of ['primary.host', 'backup.host', 'guest.ssh.host', 'guest.address', 'backupAddress']) {
    it(`${field}: one host word, never an option or shell syntax`, () => {
      for (const value of HOSTILE_WORDS) {
        expect(problemsWith(field, value), JSON.stringify(value)).toMatch(
          new RegExp(
            `testbed\\.xen\\.${field.replaceAll('.', '\\.')} \\(from the test config\\): got .*expected one host name or address`,
          ),
        );
      }
    });
  }

  for (const field of ['primary.user', 'backup.user', 'guest.ssh.user']) {
    it(`${field}: a login name`, () => {
      for (const value of ['ro ot', '-l', 'root;id', '']) {
        expect(problemsWith(field, value), JSON.stringify(value)).toMatch(/expected a user name/);
      }
    });
  }

  it('guest.domain and guest.netns: names for xl and ip, not options', () => {
    for (const value of ['-h', 'a b', 'vm;id', '']) {
      expect(problemsWith('guest.domain', value), value).toMatch(
        /testbed\.xen\.guest\.domain .*expected a Xen domain name/,
      );
      expect(problemsWith('guest.netns', value), value).toMatch(
        /testbed\.xen\.guest\.netns .*expected a network namespace name/,
      );
    }
  });

  it('transport: a command with plain arguments; shell syntax and a leading option are refused, naming the word', () => {
    expect(problemsWith('transport', 'ssh -o "BatchMode yes"')).toMatch(
      /not allowed: "\\"BatchMode", "yes\\""/,
    );
    for (const value of ['ssh; reboot', 'ssh $(id)', 'ssh  -p 22', 'ssh -p 22 | sh', 'ssh\n-p', '']) {
      expect(problemsWith('transport', value), JSON.stringify(value)).toMatch(
        /testbed\.xen\.transport .*expected a command and its arguments separated by single spaces/,
      );
    }
    expect(problemsWith('transport', '-oProxyCommand=x ssh')).toMatch(/expected a program first/);
  });

  it('remus.logDir: an absolute path without newlines (shell-quoted where used)', () => {
    expect(problemsWith('remus.logDir', 'logs')).toMatch(
      /testbed\.xen\.remus\.logDir .*expected an absolute path/,
    );
    expect(problemsWith('remus.logDir', '/var/log/x\n; reboot')).toMatch(/expected an absolute path/);
    expect(problemsWith('remus.logDir', '/var/log/with space')).toBe('');
  });
});
