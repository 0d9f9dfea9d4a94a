#!/usr/bin/env node
/** remus-bench command line: argv -> subcommand; nothing else lives here. */
import { Command, CommanderError, Option } from 'commander';
import { type CompareFlags, compareCommand } from './commands/compare.ts';
import { experimentCommand } from './commands/experiment.ts';
import type { ExperimentFlags } from './commands/experiment-options.ts';
import { labCommand } from './commands/lab.ts';
import { type MergeFlags, mergeCommand } from './commands/merge.ts';
import { type ReportCommandFlags, reportCommand } from './commands/report.ts';
import { type XenFlags, xenNetbufCommand } from './commands/xen.ts';
import { FREEZER_CHOICES, TESTBED_NAMES, TRACKING_CHOICES, WORKLOAD_NAMES } from './config/schema.ts';
import { UserError } from './errors.ts';
import { HARNESS_VERSION } from './version.ts';

// The console can go away under a running command: a closed terminal or SSH session (SIGHUP, then
// EIO on every write), a pipe into `head` (EPIPE). The command goes on and cleans up; a run's
// run.log keeps every line.
let consoleGone = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', () => {
    consoleGone = true;
  });
}
const log = (line: string) => {
  if (!consoleGone) process.stdout.write(`${line}\n`);
};

const program = new Command('remus-bench')
  .description(
    'Measures what Remus primary-backup VM replication costs, per checkpoint interval and workload.',
  )
  .version(HARNESS_VERSION)
  .exitOverride()
  .showHelpAfterError('(add --help for the list of options)');

program
  .command('experiment')
  .description(
    'Run a matrix of workloads x checkpoint intervals (plus the unreplicated baseline) and store every trial.',
  )
  .option('--matrix <quick|full|file>', 'preset matrix, or a JSON file with matrix fields', undefined)
  .addOption(
    new Option('--testbed <name>', `where the guest runs (${TESTBED_NAMES.join(', ')}); default emulated`),
  )
  .option('--config <file>', 'JSON config file (any subset of the config; see README.md)')
  .option('--results <dir>', 'directory holding one folder per run (default results/)')
  .option('--trials <n>', 'trials per cell')
  .option('--intervals <ms,...>', 'checkpoint intervals in ms, and adaptive, e.g. 25,100,adaptive')
  .option('--workloads <names>', `comma-separated workloads: ${WORKLOAD_NAMES.join(', ')}`)
  .option('--duration <s>', 'measured seconds per trial (whole seconds)')
  .option('--warmup <s>', 'unmeasured warm-up seconds before each measurement')
  .option('--seed <n>', 'seed of the shuffled, interleaved trial order')
  .option('--no-baseline', 'leave out the unreplicated baseline cells')
  .option(
    '--freezer <kind>',
    `emulated testbed freezer: ${FREEZER_CHOICES.join(', ')} (default auto: best available)`,
  )
  .option(
    '--tracking <kind>',
    `emulated testbed dirty-page tracking: ${TRACKING_CHOICES.join(', ')} (default auto: best available; none: copy no memory)`,
  )
  .option(
    '--netbuf <on|off>',
    'Xen lab: xl remus with network buffering (on, the default: output held until each checkpoint commits) or the unsafe -F -n (off)',
  )
  .option('--dry-run', 'print every cell, trial count, order and ETA; start and write nothing')
  .option('--resume <run-dir|latest>', 'continue a stopped run: skip done trials, rerun the one in flight')
  .option('--force', 'with --resume: accept a configuration that differs from the stored one')
  .option('--shard <i/n>', 'run share i of n of the plan (one per host pair); `merge` joins the shards')
  .addHelpText(
    'after',
    `
Precedence: defaults < --config file < --matrix < individual flags.
Exit codes: 0 done, 1 some trials failed, 2 bad input (nothing started), 130 interrupted (resume with --resume).

Examples:
  npm run experiment -- --matrix quick
  npm run experiment -- --matrix full --dry-run
  npm run experiment -- --intervals 25,50 --workloads latency --trials 5 --duration 10
  npm run experiment -- --resume latest`,
  )
  .action(async (flags: ExperimentFlags) => {
    process.exitCode = await experimentCommand(flags, log);
  });

program
  .command('report')
  .description(
    'Analyse a stored run and write its reports (console, cells.csv, report.html, report.pdf) from the raw data.',
  )
  .argument('<run-dir|latest>', 'a run directory (results/<run-id>) or "latest"')
  .option('--results <dir>', 'where "latest" is looked for (default results/)')
  .option('--out <dir>', 'write the report files here instead of into the run directory')
  .option('--no-pdf', 'skip the PDF')
  .option(
    '--history <results-root>',
    'add a regression section: this run against its comparable earlier runs',
  )
  .option('--seed <n>', "bootstrap seed (default: the run's seed)")
  .option('--resamples <n>', 'bootstrap resamples (default 2000)')
  .action(async (runDir: string, flags: ReportCommandFlags) => {
    process.exitCode = await reportCommand(runDir, flags, log);
  });

program
  .command('merge')
  .description('Join the run directories of the shards of one plan (--shard i/n) into one run directory.')
  .argument('<shard-runs...>', "the shards' run directories")
  .option('--out <dir>', 'where to write the merged run (default: a new run id beside the first shard)')
  .option(
    '--wait <seconds>',
    'wait this long for shards that are still running (default: refuse them at once)',
  )
  .action(async (runs: string[], flags: MergeFlags) => {
    process.exitCode = await mergeCommand(runs, flags, log);
  });

program
  .command('compare')
  .description(
    'Flag regressions: a new run against an old one, or against the comparable runs of a results root.',
  )
  .argument(
    '<runs...>',
    '<old-run> <new-run>, or with --history only <new-run> (a run directory or "latest")',
  )
  .option('--history <results-root>', 'compare against every comparable earlier run under this folder')
  .option('--alpha <p>', 'significance level of the Mann-Whitney U test (default 0.01)')
  .option(
    '--threshold <percent|metric=percent>',
    'practical threshold in %, for all metrics or one (repeatable; default 5)',
    (value: string, previous: string[] = []) => [...previous, value],
  )
  .option('--min-history <n>', 'comparable runs needed before judging (default 3)')
  .addHelpText('after', '\nExit codes: 0 no regression, 1 regression found, 2 bad input.')
  .action(async (runs: string[], flags: CompareFlags) => {
    process.exitCode = await compareCommand(runs, flags, log);
  });

program
  .command('lab')
  .description(
    'The Xen lab in a box: two Xen 4.17 hosts under QEMU (no KVM needed). up: build the image if needed and boot both; status; down: power both off.',
  )
  .argument('<action>', 'up | status | down')
  .action(async (action: string) => {
    process.exitCode = await labCommand(action, log);
  });

const xen = program
  .command('xen')
  .description(
    'Tools for real Xen dom0s (the hosts of testbed.xen in --config, or the lab with --testbed xen-lab).',
  );
xen
  .command('netbuf')
  .description(
    "Remus's network buffering on Debian 12 dom0s with Xen 4.17: install builds libxl with libnl from Debian's own xen source of each dom0's version and installs it there (Debian's kept aside); restore puts Debian's back; status says what is missing.",
  )
  .argument('<action>', 'install | restore | status')
  .option('--config <file>', 'config file with testbed.xen (the primary and backup dom0s)')
  .option('--testbed <name>', 'xen-lab: the lab in a box instead of --config')
  .addHelpText(
    'after',
    '\nExit codes: 0 done (status: buffering on both), 1 status: off somewhere, 2 bad input.',
  )
  .action(async (action: string, flags: XenFlags) => {
    process.exitCode = await xenNetbufCommand(action, flags, log);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are not errors; every parse error is bad input.
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    if (error.code === 'commander.help') process.exitCode = 0;
  } else if (error instanceof UserError) {
    if (!consoleGone) process.stderr.write(`remus-bench: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(
      `remus-bench: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
