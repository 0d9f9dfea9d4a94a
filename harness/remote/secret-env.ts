import { UserError } from '../errors.ts';

/**
 * Secrets named by the config (`passphraseEnv`) are read from the environment once and then removed
 * from it, so that no child process (guest programs, clients, `ip netns exec`, xl over SSH) inherits
 * them. Later reads in this process get the remembered value.
 */
const taken = new Map<string, string>();

export function takeSecretFromEnv(variable: string, field: string): string {
  const remembered = taken.get(variable);
  if (remembered !== undefined) return remembered;
  const value = process.env[variable];
  if (value === undefined) {
    throw new UserError(
      `${field} names the environment variable ${variable}, which is not set. Export it with the key's passphrase ` +
        '(e.g. `read -rs VAR && export VAR`), or remove passphraseEnv for a key without one.',
    );
  }
  taken.set(variable, value);
  delete process.env[variable];
  return value;
}
