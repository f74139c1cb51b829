// Runs one job of child.ts in a fresh Node process (tsx loader, --expose-gc) and returns its result.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job } from './child.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export function runJob<T>(job: Job): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(job)], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answer: { ok: boolean; result?: T; error?: string } | undefined;
    child.on('message', (m) => (answer = m as typeof answer));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (answer?.ok) resolve(answer.result as T);
      else reject(new Error(`${job.section} failed (exit ${code}): ${answer?.error ?? 'no answer'}`));
    });
  });
}
