/**
 * Child side of workloads/client-process.ts: reads the input as JSON on stdin, runs the `runClient`
 * export of the module named on the command line, prints its output as JSON on stdout. SIGTERM
 * aborts the client. Usage: node --import tsx client-main.ts MODULE_PATH < input.json
 */
import { pathToFileURL } from 'node:url';

type ClientModule = { runClient(input: unknown, signal: AbortSignal): Promise<unknown> };

const modulePath = process.argv[2];
if (!modulePath) {
  process.stderr.write('usage: client-main.ts MODULE_PATH < input.json\n');
  process.exit(2);
}
const abort = new AbortController();
process.once('SIGTERM', () => abort.abort());
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const input: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const module = (await import(pathToFileURL(modulePath).href)) as ClientModule;
try {
  const output = await module.runClient(input, abort.signal);
  process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = abort.signal.aborted ? 130 : 1;
}
