/**
 * `npm run bench`: every benchmark, each printing its figures. Pass names to run a subset:
 * `npm run bench -- report`.
 */
import { benchMemory } from './memory.ts';
import { benchNetwork } from './network.ts';
import { benchReport } from './report.ts';

const BENCHES: Record<string, () => Promise<void>> = {
  memory: benchMemory,
  network: benchNetwork,
  report: benchReport,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHES));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}; available: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
for (const [name, run] of Object.entries(BENCHES)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`== ${name} ==`);
  await run();
}
