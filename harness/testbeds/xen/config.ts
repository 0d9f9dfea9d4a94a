import { z } from 'zod';
import {
  backupAddress,
  hostName,
  remotePath,
  transportCommand,
  userName,
  xenName,
} from '../../remote/words.ts';

/** `testbed.xen`: the two dom0s, the guest and the Remus options. */
/** How the harness reaches one host over SSH. Secrets never go here: see passphraseEnv. */
export const sshTargetSchema = z.strictObject({
  host: hostName,
  port: z.number().int().min(1).max(65_535),
  user: userName,
  /** Private key file; omit to use the SSH agent ($SSH_AUTH_SOCK). */
  keyFile: z.string().min(1).optional(),
  /** Name of the environment variable holding the key's passphrase (the passphrase itself is never stored). */
  passphraseEnv: z.string().min(1).optional(),
  /** OpenSSH known_hosts file with this host's key (plain or hashed entry); unknown keys are refused. */
  knownHosts: z.string().min(1, { error: 'expected the path of a known_hosts file' }),
});

export const xenSchema = z.strictObject({
  /** The dom0 that runs the guest and `xl remus`. */
  primary: sshTargetSchema,
  /** The dom0 that receives the checkpoints. */
  backup: sshTargetSchema,
  /** The backup as the primary names it in `xl remus ... <host>` (after the transport command). */
  backupAddress,
  /** `xl remus -s`: the transport command on the primary (must log in to the backup without a prompt). */
  transport: transportCommand,
  guest: z.strictObject({
    /** The protected domain's name on the primary. */
    domain: xenName('a Xen domain name'),
    /** Address the harness's network clients use to reach the guest. */
    address: hostName,
    /** SSH into the guest, for in-guest programs. */
    ssh: sshTargetSchema,
    /**
     * A network namespace of the harness host (`ip netns`) from which the guest is reachable: its
     * SSH and the workload clients then run inside it. Omit when the guest is reachable directly.
     */
    netns: xenName('a network namespace name (see `ip netns list`)').optional(),
  }),
  remus: z.strictObject({
    /**
     * Unsafe Remus flags (xl remus -F plus these), recorded on every sample: `noNetbuf` (-n: replies
     * are not held until the checkpoint commits), `noDiskReplication` (-d), `blackhole` (-b).
     */
    unsafe: z.strictObject({ noNetbuf: z.boolean(), noDiskReplication: z.boolean(), blackhole: z.boolean() }),
    /** Folder on the primary for the xl remus logs. */
    logDir: remotePath,
  }),
  /** Seconds to wait for the first checkpoint (the initial copy of the guest's memory). */
  readyTimeoutS: z.number().min(1).max(3600),
});

export type XenConfig = z.infer<typeof xenSchema>;
export type SshTargetConfig = z.infer<typeof sshTargetSchema>;
