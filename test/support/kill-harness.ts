import { spawn } from 'node:child_process';

/**
 * Runs a child script (through tsx) that prints `READY`, then `T <id>` before and `A <id>`
 * after each acknowledged write; SIGKILLs it `killAfterMs` after READY. Resolves once it died of
 * the kill; rejects if it exited on its own.
 */
export function runChildUntilKilled(script: string, args: string[], killAfterMs: number, attempted: Set<number>, acked: Set<number>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === 'READY') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('T ')) attempted.add(Number(line.slice(2)));
        else if (line.startsWith('A ')) acked.add(Number(line.slice(2)));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code} before the kill: ${stderr}`));
    });
  });
}
