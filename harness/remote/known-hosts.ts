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

/** Whether a host field names `name`: plain comma lists (with `!` negation) or hashed `|1|` names. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const expected = Buffer.from(hash, 'base64');
    return expected.length === mac.length && timingSafeEqual(mac, expected);
  }
  const names = field.split(',');
  if (names.includes(`!${name}`)) return false;
  return names.includes(name);
}

export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'unknown'; fingerprint: string }
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
  if (plain.length === 0) return { status: 'unknown', fingerprint: presented };
  return {
    status: 'changed',
    fingerprint: presented,
    knownFingerprints: plain.map((e) => fingerprint(e.key)),
  };
}

export function readKnownHosts(path: string): KnownHostEntry[] {
  return parseKnownHosts(readFileSync(path, 'utf8'));
}
