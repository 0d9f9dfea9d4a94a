import type { SshTargetConfig } from '../../config/schema.ts';
import { RemoteHost, type SshTarget } from '../../remote/ssh.ts';

/** An SSH target from the config; the passphrase comes from the named environment variable only. */
export function sshTarget(role: string, config: SshTargetConfig): SshTarget {
  const passphrase = config.passphraseEnv ? process.env[config.passphraseEnv] : undefined;
  return {
    role,
    host: config.host,
    port: config.port,
    user: config.user,
    knownHosts: config.knownHosts,
    ...(config.keyFile ? { keyFile: config.keyFile } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
}

export function connect(role: string, config: SshTargetConfig): Promise<RemoteHost> {
  return RemoteHost.connect(sshTarget(role, config));
}
