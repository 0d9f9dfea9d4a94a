import { afterAll, describe, expect, it } from 'vitest';
import { EmulatedTestbed } from '../../harness/testbeds/emulated/index.ts';

const testbed = new EmulatedTestbed({ freezer: 'auto', priority: 'auto', tracking: 'none' });
afterAll(() => testbed.dispose());

describe("guest programs do not inherit the harness's credentials", () => {
  it('a guest process sees PATH and its marker, not SSH_AUTH_SOCK or other variables of the harness', async () => {
    process.env.SSH_AUTH_SOCK = '/tmp/rb-test-agent.sock';
    process.env.RB_TEST_CLOUD_TOKEN = 'do-not-leak';
    const session = await testbed.startGuest({ label: 'env-test' });
    try {
      const env = await session.guest.exec(['env']);
      expect(env.stdout).toMatch(/^PATH=/m);
      expect(env.stdout).toMatch(/^REMUS_BENCH_GUEST=env-test/m);
      expect(env.stdout).not.toMatch(/SSH_AUTH_SOCK|RB_TEST_CLOUD_TOKEN|do-not-leak/);
    } finally {
      await session.stop();
      delete process.env.SSH_AUTH_SOCK;
      delete process.env.RB_TEST_CLOUD_TOKEN;
    }
  });
});
