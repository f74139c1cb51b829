// `changeflow plan <file>`: the dry run as tables, against a real changeflow; problems with their paths and
// exit code 1; --json prints the API's answer as it is.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet, startTestServer, type TestServer } from '../support/local-server.ts';

const BIN = new URL('../../bin/changeflow.mjs', import.meta.url).pathname;
let s: TestServer;
let dir: string;

beforeAll(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'changeflow-plan-'));
  await s.api('PUT', '/v1/services/web', { executor: { type: 'simulated' }, targets: fleet('web', 5) });
});
afterAll(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CHANGEFLOW_URL: s.app.url }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('changeflow plan', () => {
  it('prints the batches per service, the start and the window, and changes nothing', async () => {
    await writeFile(
      join(dir, 'plan.yaml'),
      'deployPlanItems:\n  - serviceId: web\n    deployment: RESTART\n    batches: [1, "100%"]\n    compileRepoPath: https://git.example.com/x\nwindow:\n  timezone: Asia/Shanghai\n  allow: ["MON-SUN 00:00-23:59"]\n',
    );
    const r = await cli(['plan', 'plan.yaml']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('dry run: nothing was changed');
    expect(lines[1]).toMatch(/^would start {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(lines[2]).toMatch(/^window {7}Asia\/Shanghai: allow MON-SUN 00:00-23:59 \(/);
    expect(r.stdout).toMatch(/BATCH\s+SIZE\s+TARGETS/);
    expect(r.stdout).toMatch(/1\/2\s+1\s+web-1/);
    expect(r.stdout).toMatch(/2\/2\s+4\s+web-2, web-3, web-4, web-5/);
    expect(r.stderr).toContain('warning deployPlanItems[0].compileRepoPath');
    expect((await s.api('GET', '/v1/change-orders')).body.changeOrders).toEqual([]);
  });

  it('lists every problem with its path and exits 1; --json prints the answer as it is', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'deployPlanItems:\n  - serviceId: web\n    deployment: JUMP\n    batchNumbr: 2\n');
    const bad = await cli(['plan', 'bad.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error InvalidPlan');
    expect(bad.stderr).toContain('  deployPlanItems[0].deployment: ');
    expect(bad.stderr).toContain('  deployPlanItems[0].batchNumbr: ');

    await writeFile(join(dir, 'plan.json'), JSON.stringify({ deployPlanItems: [{ serviceId: 'web', deployment: 'RESTART', batchNumber: 2 }] }));
    const json = await cli(['plan', 'plan.json', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, services: [{ serviceId: 'web', batches: [{ batch: 1, size: 2 }, { batch: 2, size: 3 }] }] });
  });
});
