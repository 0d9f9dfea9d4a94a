/**
 * POSIX shell quoting for every argument sent to a remote host: each argument becomes one single-
 * quoted word, so no character (space, $, `, ;, newline, quote) is interpreted by the remote shell.
 */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** One command line from an argv, every word quoted. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shellQuote).join(' ');
}
