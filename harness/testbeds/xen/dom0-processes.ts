import type { RemoteHost } from '../../remote/ssh.ts';

/**
 * The processes of a Remus session on the dom0s, found with `ps`: the backup's receivers, the
 * primary's `xl remus` and its transport. Used to stop only what belongs to this guest's session.
 */

/** pid=,ppid=,args= rows of `ps` on a host. */
export async function processes(host: RemoteHost): Promise<{ pid: string; ppid: string; args: string }[]> {
  const ps = await host.exec(['ps', '-eo', 'pid=,ppid=,args=']);
  if (ps.exitCode !== 0) throw new Error(`ps failed on ${host.target.host} (exit ${ps.exitCode})`);
  return ps.stdout.split('\n').flatMap((row) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(row);
    return match ? [{ pid: match[1] as string, ppid: match[2] as string, args: match[3] as string }] : [];
  });
}

/** The backup's `xl migrate-receive` processes that belong to a stream (a promoted domain's daemon has init as parent). */
export async function receiverPids(backup: RemoteHost): Promise<Set<string>> {
  return new Set(
    (await processes(backup))
      .filter((p) => /\bxl\b.*\bmigrate-receive\b/.test(p.args) && p.ppid !== '1')
      .map((p) => p.pid),
  );
}

/**
 * `xl remus` anywhere in a command line: xl itself (`xl remus`, `/usr/sbin/xl remus`), the shell
 * that runs it, or a script standing in for xl (`node .../xl.mjs remus`).
 */
const XL_REMUS = /(^|[\s/])xl(\.mjs)?\s+remus\s/;

/** Processes on the primary that run an `xl remus` of `vm` (pid and command line). */
export async function xlRemusProcesses(primary: RemoteHost, vm: string): Promise<string[]> {
  return (await processes(primary))
    .filter((p) => XL_REMUS.test(p.args) && p.args.split(/\s+/).includes(vm))
    .map((p) => `pid ${p.pid}: ${p.args.slice(0, 160)}`);
}

/** The descendants of `root` (pids), from one `ps` listing. */
function descendants(rows: { pid: string; ppid: string }[], root: string): string[] {
  const found: string[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift() as string;
    for (const row of rows) {
      if (row.ppid === parent && !found.includes(row.pid)) {
        found.push(row.pid);
        queue.push(row.pid);
      }
    }
  }
  return found;
}

/** Kills the transport program (the first word of testbed.xen.transport) under xl's wrapper. */
export async function killTransport(
  primary: RemoteHost,
  wrapperPid: number,
  transport: string,
): Promise<string[]> {
  const program = (transport.split(' ')[0] ?? '').split('/').pop() as string;
  const rows = await processes(primary);
  const under = new Set(descendants(rows, String(wrapperPid)));
  const targets = rows
    .filter((r) => under.has(r.pid) && (r.args.split(/\s+/)[0] ?? '').split('/').pop() === program)
    .map((r) => r.pid);
  for (const pid of targets) await primary.exec(['kill', '-TERM', pid]);
  return targets;
}

/** The wrapper shell of the xl remus that writes `log` (a start whose reply was lost), or 0. */
export async function findWrapper(primary: RemoteHost, log: string): Promise<number> {
  const wrapper = (await processes(primary)).find(
    (r) => r.args.includes(log) && /^(\S*\/)?sh\s/.test(r.args),
  );
  return wrapper ? Number(wrapper.pid) : 0;
}
