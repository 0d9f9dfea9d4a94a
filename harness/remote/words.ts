import { z } from 'zod';

/**
 * Config strings that end up on a remote command line or as an ssh argument, and the rule each
 * follows. They are checked when the config is loaded (exit 2 with the dot path), so that none can
 * be read as more than one word, as an option, or as shell syntax on a root shell:
 *
 * - host names and addresses (`*.host`, `guest.address`, `backupAddress`): one word of letters,
 *   digits and `_ . : % -` (IPv6 and zone ids included), `backupAddress` also `@` (user@host), never
 *   starting with `-`. `backupAddress` reaches `sh -c` on the primary unquoted: xl itself runs
 *   "<transport> <backupAddress> xl migrate-receive ...".
 * - user names (`*.user`): a POSIX-style login name.
 * - the transport command (`transport`): it is a command with arguments by design
 *   (`ssh -o BatchMode=yes`), so words separated by single spaces, each of letters, digits and
 *   `_ . / = : @ % + , -`; no quotes, `$`, backquotes, `; | & < > ( ) { } [ ] * ? ~ # ! \` or
 *   newlines, and its first word is a program, not an option.
 * - names passed to xl and ip (`guest.domain`, `guest.netns`): letters, digits, `_ . -`, not
 *   starting with `-`.
 * - remote paths (`remus.logDir`): absolute, no newline; always shell-quoted where used.
 * Local paths (`keyFile`, `knownHosts`) never reach a shell.
 */
const HOST = /^[A-Za-z0-9_.:%][A-Za-z0-9_.:%-]*$/;
const USER_AT_HOST = /^([A-Za-z_][A-Za-z0-9_.-]*@)?[A-Za-z0-9_.:%][A-Za-z0-9_.:%-]*$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const TRANSPORT_WORD = /^[A-Za-z0-9_./=:@%+,-]+$/;

export const hostName = z.string().regex(HOST, {
  error: 'expected one host name or address (letters, digits, _ . : % -; not starting with -)',
});

export const backupAddress = z.string().regex(USER_AT_HOST, {
  error:
    'expected one host name or address, optionally user@host (it reaches a shell on the primary unquoted: no spaces, quotes or shell characters; not starting with -)',
});

export const userName = z
  .string()
  .regex(USER, { error: 'expected a user name (letters, digits, _ . -; starting with a letter or _)' });

export const xenName = (what: string) =>
  z.string().regex(NAME, { error: `expected ${what} (letters, digits, _ . -; not starting with -)` });

export const transportCommand = z.string().superRefine((text, context) => {
  const words = text.split(' ');
  const bad = words.filter((word) => !TRANSPORT_WORD.test(word));
  if (text.length === 0 || bad.length > 0) {
    context.addIssue({
      code: 'custom',
      message: `expected a command and its arguments separated by single spaces, each word of letters, digits and _ . / = : @ % + , - only (xl runs it through a root shell on the primary)${bad.length && text.length ? `; not allowed: ${bad.map((w) => JSON.stringify(w)).join(', ')}` : ''}`,
    });
  } else if ((words[0] as string).startsWith('-')) {
    context.addIssue({ code: 'custom', message: 'expected a program first (e.g. ssh), not an option' });
  }
});

export const remotePath = z
  .string()
  .regex(/^\/[^\n\r\0]*$/, { error: 'expected an absolute path on the primary (no newlines)' });
