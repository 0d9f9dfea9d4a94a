import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One key line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  /** The host field: a comma list of names, or a hashed `|1|salt|hash` name. */
  hosts: string;
  keyType: string;
  key: Buffer;
  /** `@revoked` or `@cert-authority`, if present. */
  marker?: string;
}

/** How OpenSSH names a host in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The OpenSSH fingerprint of a raw public key, as `ssh-keygen -lf` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64) continue;
    entries.push({ hosts, keyType, key: Buffer.from(base64, 'base64'), ...(marker ? { marker } : {}) });
  }
  return entries;
}

/** A shell-style glob (`*` any run, `?` one character) against the whole of `text`. */
function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Whether a host field names `name`, as OpenSSH's sshd/ssh match it: a hashed `|1|salt|hash` name,
 * or a comma list of patterns with `*` and `?` wildcards, where a matching `!pattern` excludes the
 * host whatever else matches. Host names compare case-insensitively (ssh lower-cases them first).
 */
export function hostFieldMatches(field: string, name: string): boolean {
  const lower = name.toLowerCase();
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(lower).digest();
    const expected = Buffer.from(hash, 'base64');
    return expected.length === mac.length && timingSafeEqual(mac, expected);
  }
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!globMatches(pattern, lower)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** The key types known_hosts holds for a host (plain entries), for ssh2's host-key algorithm order. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  return [
    ...new Set(entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, name)).map((e) => e.keyType)),
  ];
}

export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'unknown'; fingerprint: string; certAuthority?: boolean }
  | { status: 'changed'; fingerprint: string; knownFingerprints: string[] }
  | { status: 'revoked'; fingerprint: string };

/** Checks a host key the server presented against the known_hosts entries for that host. */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const forHost = entries.filter((e) => hostFieldMatches(e.hosts, name));
  const presented = fingerprint(key);
  if (forHost.some((e) => e.marker === '@revoked' && e.key.equals(key)))
    return { status: 'revoked', fingerprint: presented };
  const plain = forHost.filter((e) => !e.marker);
  if (plain.some((e) => e.key.equals(key))) return { status: 'known' };
  // Host certificates signed by a @cert-authority key are not checked by this SSH client (ssh2
  // offers no certificate host keys): such a host counts as unknown, and the message says why.
  const certAuthority = forHost.some((e) => e.marker === '@cert-authority');
  if (plain.length === 0)
    return { status: 'unknown', fingerprint: presented, ...(certAuthority ? { certAuthority } : {}) };
  return {
    status: 'changed',
    fingerprint: presented,
    knownFingerprints: plain.map((e) => fingerprint(e.key)),
  };
}

export function readKnownHosts(path: string): KnownHostEntry[] {
  return parseKnownHosts(readFileSync(path, 'utf8'));
}
