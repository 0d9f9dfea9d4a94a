import { execa } from 'execa';
import { PROJECT_ROOT } from '../harness/version.ts';

/**
 * The tests run real sysbench in the guest, open the HTML report in Debian's chromium and rasterise
 * the PDF with pdftoppm: install what is missing with the project's own set-up step (as root).
 */
export default async function setup(): Promise<void> {
  await execa('bash', ['harness/setup/apt-packages.sh', '--test'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
}
