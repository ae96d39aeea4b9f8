import { spawn } from 'node:child_process';

/**
 * Runs a Node script as a child (`--no-node-snapshot`, as nodes run), SIGKILLs it `delayMs()` after
 * its stdout first shows `startedMarker`, and resolves with all it printed, for the caller to see
 * whether it got as far as its completion marker. A child that exits before the kill rejects with
 * its stderr: the crash the test meant to cause did not happen.
 */
export function runAndKillChild(script: string, args: readonly string[], startedMarker: string, delayMs: () => number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let scheduled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (!scheduled && out.includes(startedMarker)) {
        scheduled = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs());
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`${script} exited with ${code ?? signal} before the kill:\n${stderr}`));
    });
  });
}
