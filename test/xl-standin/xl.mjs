/**
 * A stand-in for Xen's `xl` on test "dom0" hosts, following what the real xl prints
 * (Debian Xen 4.17.7 unless XL_STANDIN_VERSION says otherwise): the output shapes of `list`,
 * `list -l`, `info`, `domid`, `domname`, `destroy`, `unpause`, `help remus`; `remus` with the per-version
 * option parsing, the transport handshake through `-s`, the start-up and per-checkpoint stderr
 * lines, the end states and exit codes; `migrate-receive -r` on the backup.
 *
 * State lives in $XL_STANDIN_DIR (one per host): domains.json, info.json, faults, version.
 * `resume` exists from Xen 4.20 on; 4.17's xl answers "command not implemented" (seen in the lab).
 * Faults (one per line in $XL_STANDIN_DIR/faults, on the host where they act):
 *   no-netbuf            primary: libxl has no network buffering (fails unless -n)
 *   ssh-fails            primary: the transport command cannot reach the backup
 *   backup-dies-after N  backup: the receiver dies (SIGKILL) at checkpoint N
 *   suspend-timeout-at N primary: the guest does not suspend at checkpoint N
 *   killed-at N          primary: xl remus is killed (SIGKILL) inside checkpoint N: split brain
 *   destroyed-at N       primary: the guest is destroyed at checkpoint N: clean failover
 *   failover-delay-ms N  backup: the failover comes N ms after the stream ended
 *   no-failover          backup: after the stream ends the restore fails (no promoted copy)
 *   paused-at N          primary: xl remus fails at checkpoint N leaving the guest paused (--p---)
 *   dying-at N           primary: the guest starts dying at checkpoint N (--ps-d) and xl remus ends
 *   copy-ms N            primary: the initial copy takes N ms (overrides XL_STANDIN_COPY_MS)
 *   list-fails           either host: `xl list` fails (exit 1)
 *   destroy-fails        either host: `xl destroy` fails (exit 1)
 * Timing: XL_STANDIN_COPY_MS (initial copy, default 300), XL_STANDIN_SUSPEND_MS (per checkpoint,
 * default 15), XL_STANDIN_DIRTY (pages per epoch, default 450).
 * A real program, not a mock of the harness: it runs on the SSH test hosts and the harness only
 * ever sees it through SSH, as it would see the real `xl`.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const DIR = process.env.XL_STANDIN_DIR ?? '/var/lib/xl-standin';
// $XL_STANDIN_DIR/version (one test host) overrides $XL_STANDIN_VERSION.
const VERSION =
  (existsSync(join(DIR, 'version')) ? readFileSync(join(DIR, 'version'), 'utf8').trim() : '') ||
  process.env.XL_STANDIN_VERSION ||
  '4.17.7';
const [MAJOR, MINOR] = VERSION.split('.').map(Number);
const COPY_MS = Number(process.env.XL_STANDIN_COPY_MS ?? 300);
const SUSPEND_MS = Number(process.env.XL_STANDIN_SUSPEND_MS ?? 15);
const DIRTY = Number(process.env.XL_STANDIN_DIRTY ?? 450);
const BANNER = 'xl migration receiver ready, send binary domain data';

mkdirSync(DIR, { recursive: true });
const out = (text) => process.stdout.write(`${text}\n`);
const err = (text) => process.stderr.write(`${text}\n`);

function load(name, fallback) {
  try {
    return JSON.parse(readFileSync(join(DIR, name), 'utf8'));
  } catch {
    return fallback;
  }
}
function save(name, value) {
  const tmp = join(DIR, `.${name}.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(value, null, 1));
  renameSync(tmp, join(DIR, name));
}
const domains = () =>
  load('domains.json', [
    { name: 'Domain-0', domid: 0, memMiB: 1024, vcpus: 1, state: 'r-----', type: 'pvh' },
  ]);
const findDomain = (spec) => domains().find((d) => d.name === spec || String(d.domid) === spec);
function update(name, change) {
  const all = domains();
  const d = all.find((x) => x.name === name);
  if (d) change(d);
  save(
    'domains.json',
    all.filter((x) => !x.gone),
  );
}
function faults() {
  const text = existsSync(join(DIR, 'faults')) ? readFileSync(join(DIR, 'faults'), 'utf8') : '';
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [k, v] = l.trim().split(/\s+/);
        return [k, Number(v ?? 1)];
      }),
  );
}
const invalid = (spec) => {
  err(`${spec} is an invalid domain identifier (rc=-6)`);
  process.exit(1);
};

function info() {
  const o = load('info.json', {});
  const [maj, min] = [MAJOR, MINOR];
  const extra = VERSION.slice(`${maj}.${min}`.length);
  const used = domains()
    .filter((d) => d.domid !== 0)
    .reduce((s, d) => s + d.memMiB, 0);
  const rows = [
    ['host', o.host ?? hostname()],
    ['release', '6.1.0-56-amd64'],
    ['version', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)'],
    ['machine', 'x86_64'],
    ['nr_cpus', '1'],
    ['max_cpu_id', '0'],
    ['nr_nodes', '1'],
    ['cores_per_socket', '1'],
    ['threads_per_core', '1'],
    ['cpu_mhz', '2200.000'],
    ['hw_caps', '078bf3fd:80002001:20100800:00000005:00000000:00000000:00000000:00000000'],
    ['virt_caps', o.virt_caps ?? 'pv hvm hap gnttab-v1 gnttab-v2'],
    ['total_memory', String(o.total_memory ?? 2047)],
    ['free_memory', String((o.total_memory ?? 2047) - 1024 - used)],
    ['sharing_freed_memory', '0'],
    ['sharing_used_memory', '0'],
    ['outstanding_claims', '0'],
    ['free_cpus', '0'],
    ['xen_major', String(maj)],
    ['xen_minor', String(min)],
    ['xen_extra', extra],
    ['xen_version', VERSION],
    ['xen_caps', 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 '],
    ['xen_scheduler', 'credit2'],
    ['xen_pagesize', '4096'],
    ['platform_params', 'virt_start=0xffff800000000000'],
    ['xen_changeset', ' '],
    ['xen_commandline', 'console=com1 dom0_mem=1024M,max:1024M '],
    ['cc_compiler', 'x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0'],
    ['cc_compile_by', 'pkg-xen-devel'],
    ['cc_compile_domain', 'lists.alioth.debian.org'],
    ['cc_compile_date', 'Wed Nov  4 16:52:28 UTC 2026'],
    ['build_id', '151b373fd64b321593bf987fd923cd10dabadac4'],
    ['xend_config_format', '4'],
  ];
  return rows;
}

function helpRemus() {
  const lines = [
    `Usage: xl [${MINOR >= 7 || MAJOR > 4 ? '-vtTf' : '-vf'}] remus [options] <Domain> [<host>]`,
    '',
    'Enable Remus HA for domain.',
    '',
    'Options:',
    '',
    '-i MS                   Checkpoint domain memory every MS milliseconds (def. 200ms).',
    '-u                      Disable memory checkpoint compression.',
    '-s <sshcommand>         Use <sshcommand> instead of ssh.  String will be passed',
    '                        to sh. If empty, run <host> instead of ',
    '                        ssh <host> xl migrate-receive -r [-e]',
    '-e                      Do not wait in the background (on <host>) for the death',
    '                        of the domain.',
    '-N <netbufscript>       Use netbufscript to setup network buffering instead of the',
    '                        default script (/etc/xen/scripts/remus-netbuf-setup).',
    '-F                      Enable unsafe configurations [-b|-n|-d flags]. Use this option',
    '                        with caution as failover may not work as intended.',
    '-b                      Replicate memory checkpoints to /dev/null (blackhole).',
    '                        Works only in unsafe mode.',
    '-n                      Disable network output buffering. Works only in unsafe mode.',
    '-d                      Disable disk replication. Works only in unsafe mode.',
  ];
  if (MAJOR > 4 || MINOR >= 7)
    lines.push(
      '-c                      Enable COLO HA. It is conflict with -i and -b, and memory',
      '                        checkpoint must be disabled.',
    );
  if (MAJOR > 4 || MINOR >= 9) lines.push('-p                      Use COLO userspace proxy.');
  return lines.join('\n');
}

/** getopt per Xen version, as `xl remus` of 4.4, 4.5-4.6, 4.7-4.8 and 4.9 on accepts (tools/xl/xl_cmdtable.c). */
function parseRemus(args) {
  const spec =
    MAJOR === 4 && MINOR <= 4
      ? 'bui:s:e'
      : MINOR <= 6 && MAJOR === 4
        ? 'Fbundi:s:N:e'
        : MINOR <= 8 && MAJOR === 4
          ? 'Fbundi:s:N:ec'
          : 'Fbundi:s:N:ecp';
  const opts = {};
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h') {
      out(helpRemus());
      process.exit(0);
    }
    if (!a.startsWith('-') || a === '-') {
      rest.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const at = spec.indexOf(c);
      if (at < 0) {
        err(`option \`${c}' not supported.`);
        process.exit(2);
      }
      if (spec[at + 1] === ':') {
        opts[c] = a.slice(j + 1) || args[++i];
        break;
      }
      opts[c] = true;
    }
  }
  if (rest.length < 2) {
    // Real xl 4.17.7 (checked in the QEMU lab): message and a blank line on stderr, help on stdout.
    err("'xl remus' requires at least 2 arguments.");
    err('');
    out(helpRemus());
    process.exit(2);
  }
  return { opts, domain: rest[0], host: rest[1] };
}

function pct(done, total) {
  return total === 0 ? 0 : Math.floor((done * 100) / total);
}
const progress = (what, done, total) =>
  err(`xc: progress: ${what}: ${done}/${total}  ${String(pct(done, total)).padStart(3)}%`);

/** Line reader over a stream. */
function lines(stream) {
  let buffer = '';
  const waiting = [];
  const queue = [];
  let ended = false;
  stream.on('data', (d) => {
    buffer += d;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else queue.push(line);
    }
  });
  const end = () => {
    ended = true;
    for (const w of waiting.splice(0)) w(null);
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  return () =>
    queue.length
      ? Promise.resolve(queue.shift())
      : ended
        ? Promise.resolve(null)
        : new Promise((r) => waiting.push(r));
}

async function remus(args) {
  const { opts, domain, host } = parseRemus(args);
  const dom = findDomain(domain);
  if (!dom || dom.domid === 0) invalid(domain);
  if (opts.c && (opts.i || opts.d || opts.n || opts.b)) {
    err('option -c is conflict with -i, -d, -n or -b: Success');
    process.exit(255);
  }
  const interval = Number.parseInt(opts.i ?? '200', 10) || 200;
  const f = faults();
  const fail = (code, ...text) => {
    for (const t of text) err(t);
    process.exit(code);
  };
  // Transport: sh -c "exec <cmd> <host> xl migrate-receive -r[ -e]"; stderr inherited.
  let child = null;
  let transportGone = false;
  let transportExit = Promise.resolve(null);
  if (!opts.b) {
    const cmd = f.has('ssh-fails') ? 'sh -c "exit 255"' : (opts.s ?? 'ssh');
    const line =
      cmd === '' ? `exec ${host}` : `exec ${cmd} ${host} xl migrate-receive -r ${opts.e ? '-e' : ''}`;
    child = spawn('sh', ['-c', line], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.on('error', () => {});
    const read = lines(child.stdout);
    const banner = await read();
    if (banner === null) {
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      fail(
        1,
        `libxl: error: libxl_utils.c:510:libxl_read_exactly: file/stream truncated reading banner from migration receiver stream`,
        `libxl: info: libxl_exec.c:118:libxl_report_child_exitstatus: migration transport process [${child.pid}] exited with error status ${child.exitCode ?? 255}`,
      );
    }
    if (banner !== BANNER)
      fail(
        1,
        'migration receiver stream contained unexpected data instead of banner',
        `(command run was: ${line} )`,
      );
    remus.read = read;
    transportExit = new Promise((resolve) =>
      child.once('exit', () => {
        transportGone = true;
        resolve(null);
      }),
    );
  }
  const send = (text) =>
    new Promise((resolve) => {
      if (!child) return resolve(true);
      if (child.stdin.destroyed || !child.stdin.writable) return resolve(false);
      child.stdin.write(`${text}\n`, (e) => resolve(!e));
    });
  err(`Saving to migration stream new xl format (info 0x3/0x0/875)`);
  const unsafeNeeded = opts.b || opts.n || opts.d;
  const id = dom.domid;
  if (MAJOR > 4 || MINOR >= 5) {
    if (unsafeNeeded && !opts.F) {
      fail(
        1,
        `libxl: error: libxl_remus.c:62:libxl_domain_remus_start: Domain ${id}:Unsafe mode must be enabled to replicate to /dev/null,disable network buffering and disk replication`,
        'Remus: Backup failed? resuming domain at primary.',
      );
    }
    if (!opts.n && f.has('no-netbuf')) {
      fail(
        1,
        `libxl: error: libxl_remus.c:87:libxl__remus_setup: Domain ${id}:Remus: No support for network buffering`,
        'Remus: Backup failed? resuming domain at primary.',
        `xc: error: Dom ${id} not suspended: (shutdown 0, reason 255): Internal error`,
        `libxl: error: libxl_dom_suspend.c:666:domain_resume_done: Domain ${id}:xc_domain_resume failed: Invalid argument`,
      );
    }
  }
  await send(`HEADER ${dom.name} ${dom.memMiB}`);
  err(`xc: info: Saving domain ${id}, type x86 HVM`);
  const frames = 1044480;
  const copyMs = f.get('copy-ms') ?? COPY_MS;
  for (let p = 5; p <= 100; p += 5) {
    await sleep(copyMs / 20);
    // The stream breaks during the initial copy: the save helper gets EPIPE at once, as with real xl.
    if (transportGone) {
      fail(
        1,
        `libxl: error: libxl_exec.c:127:libxl_report_child_exitstatus: domain ${id} save/restore helper [${process.pid + 1}] died due to fatal signal Broken pipe`,
        'Remus: Backup failed? resuming domain at primary.',
      );
    }
    progress('Frames iteration 0', Math.round((frames * p) / 100), frames);
  }
  const backupFailed = (...extra) => {
    update(dom.name, (d) => {
      d.state = '-b----';
    });
    fail(
      1,
      ...extra,
      `libxl: warning: libxl_remus.c:168:libxl__remus_teardown: Domain ${id}:Remus: Domain suspend terminated with rc -3, teardown Remus devices...`,
      'Remus: Backup failed? resuming domain at primary.',
    );
  };
  for (let epoch = 1; ; epoch++) {
    if (!findDomain(dom.name)) {
      err('Remus: Primary domain has been destroyed.');
      child?.stdin.end();
      process.exit(0);
    }
    if (f.get('suspend-timeout-at') === epoch) {
      update(dom.name, (d) => {
        d.state = '---ss-';
      });
      fail(
        1,
        `libxl: error: libxl_dom_suspend.c:345:suspend_common_wait_guest_timeout: Domain ${id}:guest did not suspend, timed out`,
        'Failed to suspend domain at primary.',
      );
    }
    if (f.get('paused-at') === epoch) {
      update(dom.name, (d) => {
        d.state = '--p---';
      });
      child?.stdin.end();
      fail(
        1,
        `libxl: error: libxl_dom_suspend.c:659:domain_resume_done: Domain ${id}:xc_domain_resume failed: Invalid argument`,
        'Remus: Backup failed? resuming domain at primary.',
      );
    }
    if (f.get('dying-at') === epoch) {
      update(dom.name, (d) => {
        d.state = '--ps-d';
      });
      err('Remus: Primary domain has been destroyed.');
      child?.stdin.end();
      process.exit(0);
    }
    update(dom.name, (d) => {
      d.state = '---ss-';
    });
    progress('Domain now suspended', 0, 0);
    if (f.get('killed-at') === epoch) process.kill(process.pid, 'SIGKILL'); // inside a checkpoint: left ---ss-
    if (f.get('destroyed-at') === epoch) {
      update(dom.name, (d) => {
        d.gone = true;
      });
    }
    await sleep(SUSPEND_MS);
    const dirty = Math.max(0, Math.round(DIRTY * (0.9 + Math.random() * 0.2)));
    if (dirty > 0) progress('Checkpointed save', dirty, dirty);
    const sent = await send(`CHECKPOINT ${epoch} ${dirty}`);
    // No transport (-b): nothing to wait for. A transport that died: the backup failed.
    const ack = !child
      ? 'ACK'
      : sent && !transportGone
        ? await Promise.race([remus.read(), transportExit])
        : null;
    if (ack !== 'ACK')
      backupFailed(
        `libxl: error: libxl_exec.c:127:libxl_report_child_exitstatus: domain ${id} save/restore helper [${process.pid + 1}] died due to fatal signal Broken pipe`,
      );
    update(dom.name, (d) => {
      d.state = '-b----';
    });
    await sleep(interval);
  }
}

async function migrateReceive(args) {
  if (!args.includes('-r')) {
    err('only migrate-receive -r is modelled by the stand-in');
    process.exit(2);
  }
  const daemonize = !args.includes('-e');
  err('migration target: Ready to receive domain.');
  out(BANNER);
  const read = lines(process.stdin);
  const header = await read();
  if (header === null || !header.startsWith('HEADER ')) {
    // Nothing usable arrived (the primary failed at set-up): a paused 0 MB domain stays behind.
    const all = domains();
    const domid = Math.max(...all.map((d) => d.domid)) + 1;
    save('domains.json', [
      ...all,
      {
        name: `${process.env.XL_STANDIN_GUEST ?? 'guest'}--incoming`,
        domid,
        memMiB: 0,
        vcpus: 0,
        state: '--p---',
        type: 'pvh',
      },
    ]);
    err('Loading new save file <incoming migration stream> (new xl fmt info 0x3/0x0/875)');
    err(' Savefile contains xl domain config in JSON format');
    err('Parsing config from <saved>');
    err(
      'libxl: error: libxl_stream_read.c:340:stream_header_done: Invalid ident: expected 0x4c6962786c466d74, got 0x0000000000000000',
    );
    process.exit(1);
  }
  const [, name, mem] = header.split(' ');
  const all = domains();
  const domid = Math.max(...all.map((d) => d.domid)) + 1;
  const incoming = `${name}--incoming`;
  save('domains.json', [
    ...all,
    { name: incoming, domid, memMiB: Number(mem), vcpus: 0, state: '--p---', type: 'pvh' },
  ]);
  err('Loading new save file <incoming migration stream> (new xl fmt info 0x3/0x0/875)');
  err(' Savefile contains xl domain config in JSON format');
  err('Parsing config from <saved>');
  err(`xc: info: Found x86 HVM domain from Xen ${MAJOR}.${MINOR}`);
  err('xc: info: Restoring domain');
  const dieAt = faults().get('backup-dies-after');
  let checkpoints = 0;
  for (;;) {
    const line = await read();
    if (line === null) break;
    if (!line.startsWith('CHECKPOINT ')) continue;
    checkpoints++;
    if (dieAt !== undefined && checkpoints >= dieAt) process.kill(process.pid, 'SIGKILL');
    if (checkpoints > 1) err('xc: info: All records buffered');
    err('xc: info: All records processed');
    out('ACK');
  }
  if (!findDomain(incoming)) process.exit(1); // destroyed by the harness: nothing to fail over
  if (checkpoints === 0) {
    update(incoming, (d) => {
      d.gone = true;
    });
    err('xc: error: Failed to read Record Header from stream (0 = Success): Internal error');
    err('xc: error: Restore failed (0 = Success): Internal error');
    err('migration target: Domain creation failed (code -3).');
    process.exit(1);
  }
  if (faults().has('no-failover')) {
    update(incoming, (d) => {
      d.gone = true;
    });
    err('xc: error: Failed to read Record Header from stream (0 = Success): Internal error');
    err('migration target: Domain creation failed (code -3).');
    process.exit(1);
  }
  // EOF after a complete checkpoint: fail over (the primary may still run: split brain). The real
  // backup notices the dead stream and plugs the vif only after seconds (15-25 s in the QEMU lab).
  const delayMs = Number(faults().get('failover-delay-ms') ?? 0);
  if (delayMs > 0) await sleep(delayMs);
  err('xc: info: Restore successful');
  err(`migration target: Remus Failover for domain ${domid}`);
  update(incoming, (d) => {
    d.name = name;
    d.vcpus = 1;
    d.state = '-b----';
  });
  appendFileSync(join(DIR, 'events.log'), `failover ${name} ${domid} ${Date.now()}\n`);
  if (!daemonize) process.exit(0);
  while (domains().some((d) => d.domid === domid)) await sleep(200);
  process.exit(0);
}

const argv = process.argv.slice(2).filter((a) => !/^-[vtTf]+$/.test(a));
const [command, ...args] = argv;
switch (command) {
  case 'list': {
    if (faults().has('list-fails')) {
      err('libxl: error: libxl_domain.c:336:libxl_list_domain: getting domain info list: Permission denied');
      process.exit(1);
    }
    const long = args[0] === '-l';
    const names = long ? args.slice(1) : args;
    const chosen = names.length ? names.map((n) => findDomain(n) ?? invalid(n)) : domains();
    if (long) {
      out(
        JSON.stringify(
          chosen
            .filter((d) => d.domid !== 0)
            .map((d) => ({
              domid: d.domid,
              config: {
                c_info: { type: d.type, name: d.name },
                b_info: { max_vcpus: d.vcpus, max_memkb: d.memMiB * 1024, target_memkb: d.memMiB * 1024 },
              },
            })),
          null,
          4,
        ),
      );
      break;
    }
    out('Name                                        ID   Mem VCPUs\tState\tTime(s)');
    for (const d of chosen)
      out(
        `${d.name.padEnd(40)} ${String(d.domid).padStart(5)} ${String(d.memMiB).padStart(5)} ${String(d.vcpus).padStart(5)}     ${d.state}  ${(d.domid === 0 ? 55.8 : 7.2).toFixed(1).padStart(8)}`,
      );
    break;
  }
  case 'info': {
    const rows = info().filter(([k]) => !args[0] || k.startsWith(args[0]));
    if (args[0]) for (const [, v] of rows) out(v.trim());
    else for (const [k, v] of rows) out(`${k.padEnd(23)}: ${v}`);
    break;
  }
  case 'domid': {
    const d = domains().find((x) => x.name === args[0]);
    if (!d) {
      err(`Can't get domid of domain name '${args[0]}', maybe this domain does not exist.`);
      process.exit(1);
    }
    out(String(d.domid));
    break;
  }
  case 'domname': {
    const d = domains().find((x) => String(x.domid) === args[0]);
    if (!d) {
      err(`Can't get domain name of domain id '${args[0]}', maybe this domain does not exist.`);
      process.exit(1);
    }
    out(d.name);
    break;
  }
  case 'destroy': {
    const d = findDomain(args[0]);
    if (!d) invalid(args[0]);
    if (faults().has('destroy-fails')) {
      err(
        `libxl: error: libxl_domain.c:1576:devices_destroy_cb: Domain ${d.domid}:libxl__devices_destroy failed`,
      );
      process.exit(1);
    }
    if (d.domid === 0) {
      err('destroy failed (rc=-6)');
      process.exit(1);
    }
    update(d.name, (x) => {
      x.gone = true;
    });
    break;
  }
  case 'unpause': {
    const d = findDomain(args[0]);
    if (!d) invalid(args[0]);
    update(d.name, (x) => {
      x.state = '-b----';
    });
    break;
  }
  case 'resume': {
    if (MAJOR < 4 || (MAJOR === 4 && MINOR < 20)) {
      err('command not implemented');
      process.exit(1);
    }
    const d = findDomain(args[0]);
    if (!d) invalid(args[0]);
    update(d.name, (x) => {
      x.state = '-b----';
    });
    break;
  }
  case 'help':
    if (args[0] === 'remus') {
      out(helpRemus());
      break;
    }
    err('the stand-in models only `xl help remus`');
    process.exit(1);
    break;
  case 'remus':
    await remus(args);
    break;
  case 'migrate-receive':
    await migrateReceive(args);
    break;
  default:
    err(`xl stand-in: command ${command} is not modelled`);
    process.exit(1);
}
