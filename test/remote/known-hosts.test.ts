import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { hostFieldMatches } from '../../harness/remote/known-hosts.ts';
import { RemoteHost, type SshTarget } from '../../harness/remote/ssh.ts';
import { SSHD, startSshd, type TestSshd } from '../helpers/sshd.ts';

describe('known_hosts host patterns, as OpenSSH matches them', () => {
  it('wildcards, negation, comma lists, [host]:port and case', () => {
    expect(hostFieldMatches('*', 'dom0-a')).toBe(true);
    expect(hostFieldMatches('dom0-?', 'dom0-b')).toBe(true);
    expect(hostFieldMatches('dom0-?', 'dom0-bb')).toBe(false);
    expect(hostFieldMatches('*.lab,!evil.lab', 'evil.lab')).toBe(false);
    expect(hostFieldMatches('!evil.lab,*.lab', 'good.lab')).toBe(true);
    expect(hostFieldMatches('!evil.lab', 'good.lab')).toBe(false); // a negation alone matches nothing
    expect(hostFieldMatches('[127.0.0.1]:*', '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches('Dom0-A.Lab', 'dom0-a.lab')).toBe(true);
    expect(hostFieldMatches('dom0-a.lab', 'DOM0-A.lab')).toBe(true);
  });
});

const canRun = existsSync(SSHD) && process.getuid?.() === 0;

describe.skipIf(!canRun)(
  'host keys against a real sshd offering ed25519, RSA and ECDSA keys',
  { timeout: 60_000 },
  () => {
    let sshd: TestSshd;
    beforeAll(async () => {
      sshd = await startSshd([], undefined, ['ed25519', 'rsa', 'ecdsa']);
    });
    afterAll(() => sshd?.stop());

    const withKnownHosts = (name: string, lines: string[]): SshTarget => {
      const file = join(sshd.dir, name);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return {
        role: 'primary dom0',
        host: '127.0.0.1',
        port: sshd.port,
        user: sshd.user,
        keyFile: sshd.clientKey,
        knownHosts: file,
      };
    };
    const outcome = async (target: SshTarget): Promise<string> =>
      RemoteHost.connect(target).then(
        (host) => {
          host.close();
          return 'connected';
        },
        (error: unknown) => {
          expect(error).toBeInstanceOf(UserError);
          return (error as Error).message;
        },
      );
    const here = () => `[127.0.0.1]:${sshd.port}`;

    for (const type of ['rsa', 'ecdsa', 'ed25519']) {
      it(`a host known only by its ${type} key connects (that key type is asked for first)`, async () => {
        expect(await outcome(withKnownHosts(`kh-${type}`, [`${here()} ${sshd.hostPublicKeys[type]}`]))).toBe(
          'connected',
        );
      });
    }

    it('a wildcard pattern with a negation: matching connects, negated is unknown', async () => {
      expect(
        await outcome(withKnownHosts('kh-wild', [`[127.0.0.*]:*,!other ${sshd.hostPublicKeys.ed25519}`])),
      ).toBe('connected');
      expect(
        await outcome(withKnownHosts('kh-neg', [`[127.0.0.*]:*,!${here()} ${sshd.hostPublicKeys.ed25519}`])),
      ).toMatch(/is not in .*no entry for \[127\.0\.0\.1\]/);
    });

    it('@revoked with a wildcard host revokes the key for every host, even one listed by name', async () => {
      const target = withKnownHosts('kh-revoked', [
        `${here()} ${sshd.hostPublicKeys.ed25519}`,
        `@revoked * ${sshd.hostPublicKeys.ed25519}`,
      ]);
      expect(await outcome(target)).toMatch(/is marked @revoked in .*; refusing to connect/);
    });

    it('a host known only through @cert-authority is refused with the reason (no host certificates in ssh2)', async () => {
      const target = withKnownHosts('kh-ca', [`@cert-authority * ${sshd.hostPublicKeys.rsa}`]);
      expect(await outcome(target)).toMatch(
        /only through a @cert-authority line.*cannot check host certificates/,
      );
    });
  },
);
