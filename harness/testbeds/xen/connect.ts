import type { SshTargetConfig } from '../../config/schema.ts';
import { RemoteHost, type SshTarget } from '../../remote/ssh.ts';

/** An SSH target from the config; the passphrase comes from the named environment variable only. */
export function sshTarget(role: string, config: SshTargetConfig, netns?: string): SshTarget {
  const passphrase = config.passphraseEnv ? process.env[config.passphraseEnv] : undefined;
  return {
    role,
    host: config.host,
    port: config.port,
    user: config.user,
    knownHosts: config.knownHosts,
    ...(config.keyFile ? { keyFile: config.keyFile } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(netns ? { netns } : {}),
  };
}

export function connect(role: string, config: SshTargetConfig, netns?: string): Promise<RemoteHost> {
  return RemoteHost.connect(sshTarget(role, config, netns));
}
