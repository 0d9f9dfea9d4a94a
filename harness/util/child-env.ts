/**
 * The environment for programs the harness starts on the guest's behalf or as helpers (guest
 * programs, the checkpoint controller, network clients, the netns pipe): the few variables a
 * program needs to run (where programs are, the user, the locale, the temp folder) and nothing
 * else, so that no credential of the harness's own environment (SSH_AUTH_SOCK, tokens a CI sets,
 * cloud keys) reaches them.
 */
const KEPT = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TERM'];

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (KEPT.includes(name) || name.startsWith('LC_'))) env[name] = value;
  }
  return { ...env, ...extra };
}
