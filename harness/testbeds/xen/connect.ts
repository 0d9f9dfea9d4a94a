import { takeSecretFromEnv } from '../../remote/secret-env.ts';
import { RemoteHost, type SshTarget } from '../../remote/ssh.ts';
import type { SshTargetConfig } from './config.ts';

/**
 * An SSH target from the config; the passphrase comes from the named environment variable only
 * (an unset one is an error, not "no passphrase"). `field` names the config entry for errors.
 */
export function sshTarget(role: string, config: SshTargetConfig, netns?: string, field = role): SshTarget {
  const passphrase = config.passphraseEnv
    ? takeSecretFromEnv(config.passphraseEnv, `${field}.passphraseEnv`)
    : undefined;
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

export function connect(role: string, config: SshTargetConfig, field: string): Promise<RemoteHost> {
  return RemoteHost.connect(sshTarget(role, config, undefined, field));
}
