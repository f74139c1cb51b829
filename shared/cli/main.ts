// The changeflow CLI: one commander program over the HTTP API (SPEC §4). Commands only map arguments to a
// request and a response to lines; HTTP lives in client.ts, layout in render.ts, polling in watch.ts.
// Exit codes are part of the interface (scripts gate on them) and are listed in `changeflow --help`.

import { setupTables } from './setup.ts';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import YAML from 'yaml';
// plain constants only: the CLI shares the engine's vocabulary, never its code
import { ORDER_STATUS, PAUSE_OPTIONS } from '../engine/types.ts';
import { ApiError, ConnectionError, createClient, describeApiError, type Client } from './client.ts';
import * as render from './render.ts';
import { watch } from './watch.ts';

const EXIT_USAGE = 64; // sysexits EX_USAGE: distinguishable from an API failure (1) and from watch outcomes
const DEFAULT_URL = 'http://127.0.0.1:9000';

/** a bad argument found after parsing (an unreadable file): same exit code as commander's usage errors */
import { UsageError } from './usage.ts';

interface Ctx {
  call: Client;
  json: boolean;
}

const print = (lines: string[]) => process.stdout.write(lines.map((l) => `${l}\n`).join(''));

/** --json prints the response as received; otherwise the human view. An empty (204) body prints nothing. */
function show(ctx: Ctx, body: unknown, human: () => string[]): void {
  if (ctx.json) {
    if (body !== undefined) print([JSON.stringify(body, null, 2)]);
  } else print(human());
}

/** wraps an action: builds the client from the global options and records the command's exit code */
function action<O = Record<string, never>>(fn: (ctx: Ctx, args: string[], opts: O) => Promise<number | void>) {
  return async function (this: Command) {
    const globals = this.optsWithGlobals<{ json?: boolean; url?: string }>();
    const url = globals.url || process.env.CHANGEFLOW_URL || DEFAULT_URL;
    const from = globals.url ? '--url' : 'CHANGEFLOW_URL';
    if (!URL.canParse(url)) throw new UsageError(`${from} is not a URL`);
    // fetch refuses userinfo and would echo the URL, secret included, in its error
    if (new URL(url).username || new URL(url).password) throw new UsageError(`${from} must not contain credentials; set CHANGEFLOW_TOKEN instead`);
    // the token is read here and handed to the client only; it is never printed, not even in errors
    const ctx: Ctx = { call: createClient(url, process.env.CHANGEFLOW_TOKEN || undefined), json: globals.json === true };
    process.exitCode = (await fn(ctx, this.processedArgs as string[], this.opts() as O)) ?? 0;
  };
}

function int(min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
    return n;
  };
}

/** plans and service definitions are sent as written: the server reports YAML line numbers in its issues */
async function readDocument(file: string): Promise<{ text: string; contentType: string }> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // stdin has no extension, so look at the first character as the server does
  const json = file === '-' ? /^\s*[[{]/.test(text) : extname(file).toLowerCase() === '.json';
  return { text, contentType: json ? 'application/json' : 'application/yaml' };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const order = (id: string, rest = '') => `/v1/change-orders/${encodeURIComponent(id)}${rest}`;
const service = (id: string, rest = '') => `/v1/services/${encodeURIComponent(id)}${rest}`;

const EXIT_HELP = `
Environment:
  CHANGEFLOW_URL     the API (default ${DEFAULT_URL}); --url overrides it
  CHANGEFLOW_TOKEN   sent as "Authorization: Bearer <token>" when set

Exit codes:
  0    success; watch: the order SUCCEEDED
  1    an API error (printed as "error <code>: <message>" on stderr) or the API could not be reached
  2    watch: the order finished PARTIAL
  3    watch: the order FAILED
  4    watch: the order was STOPPED
  64   usage error: unknown command or option, bad argument, unreadable file`;

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('changeflow')
  .description('Submit, watch and control changeflow change orders.')
  .version(pkg.version)
  .option('--json', 'print the raw JSON response instead of the human view')
  .option('--url <url>', `the changeflow API (default: $CHANGEFLOW_URL or ${DEFAULT_URL})`)
  .configureHelp({ showGlobalOptions: true })
  .exitOverride()
  .addHelpText('after', EXIT_HELP);

// services

const services = program
  .command('services')
  .description('list registered services; services register|get|delete <serviceId> manage one')
  .action(
    action(async (ctx) => {
      const { body } = await ctx.call<{ services: Parameters<typeof render.servicesLines>[0] }>('GET', '/v1/services');
      show(ctx, body, () => render.servicesLines(body.services));
    }),
  );

services
  .command('register <serviceId> <file>')
  .description('register or replace a service from a YAML or JSON file')
  .action(
    action(async (ctx, [id, file]) => {
      const doc = await readDocument(file);
      const { status, body } = await ctx.call<{ serviceId: string; targets?: number }>('PUT', service(id), { text: doc.text, contentType: doc.contentType });
      show(ctx, body, () => [`${status === 201 ? 'registered' : 'updated'} service ${body.serviceId} (${body.targets ?? 0} targets)`]);
    }),
  );

services
  .command('get <serviceId>')
  .description('show a service')
  .action(
    action(async (ctx, [id]) => {
      const { body } = await ctx.call<Record<string, unknown>>('GET', service(id));
      // a service is configuration, registered as YAML: show it the way it was written
      show(ctx, body, () => [YAML.stringify(body).trimEnd()]);
    }),
  );

services
  .command('delete <serviceId>')
  .description('delete a service that no active order uses')
  .action(
    action(async (ctx, [id]) => {
      const { body } = await ctx.call('DELETE', service(id));
      show(ctx, body, () => [`deleted service ${id}`]);
    }),
  );

program
  .command('targets <serviceId>')
  .description("list a service's targets")
  .action(
    action(async (ctx, [id]) => {
      const { body } = await ctx.call<Parameters<typeof render.targetsLines>[0]>('GET', service(id, '/targets'));
      show(ctx, body, () => render.targetsLines(body));
    }),
  );

// change orders

program
  .command('submit <file>')
  .description('submit a plan or an ESS request (YAML or JSON; - reads stdin)')
  .option('--dry-run', 'compute and show the batches; change nothing')
  .option('--idempotency-key <key>', 'a retried submission with the same key returns the same order')
  .option('--watch', 'watch the order until it finishes (exit codes as for watch)')
  .option('--interval <ms>', 'poll interval for --watch', int(10), 500)
  .action(
    action<{ dryRun?: boolean; idempotencyKey?: string; watch?: boolean; interval: number }>(async (ctx, [file], o) => {
      const doc = await readDocument(file);
      const headers = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : undefined;
      type Submitted = render.DryRun & { changeOrderId?: string; status?: string; replayed?: boolean; warnings?: { path: string; message: string }[] };
      const { body } = await ctx.call<Submitted>('POST', '/v1/change-orders', { text: doc.text, contentType: doc.contentType, query: { dryRun: o.dryRun ? 'true' : undefined }, headers });
      // warnings go to stderr so they are seen even when stdout is parsed
      for (const w of body.warnings ?? []) process.stderr.write(`warning ${w.path}: ${w.message}\n`);
      const watching = o.watch && !o.dryRun && body.changeOrderId;
      // with --json --watch stdout carries only the final order, so it stays one JSON document
      if (!(watching && ctx.json)) {
        show(ctx, body, () => {
          if (o.dryRun) return render.dryRunLines(body);
          const lines = [`changeOrderId: ${body.changeOrderId}`];
          if (body.status) lines.push(`status: ${body.status}${body.replayed ? ' (replayed: this Idempotency-Key was used before)' : ''}`);
          if (body.rollbackOf) lines.push(`rollback of: ${body.rollbackOf}`);
          return lines;
        });
      }
      if (o.watch && o.dryRun) process.stderr.write('--watch ignored: a dry run creates no order\n');
      if (watching) return watch(ctx.call, body.changeOrderId!, { intervalMs: o.interval, json: ctx.json });
    }),
  );

program
  .command('plan <file>')
  .description('validate a plan or an ESS request and print its dry run as a table: batches per service, start time, window (changes nothing)')
  .action(
    action(async (ctx, [file]) => {
      const doc = await readDocument(file);
      const { body } = await ctx.call<render.DryRun & { warnings?: { path: string; message: string }[] }>('POST', '/v1/change-orders', { text: doc.text, contentType: doc.contentType, query: { dryRun: 'true' } });
      for (const w of body.warnings ?? []) process.stderr.write(`warning ${w.path}: ${w.message}\n`);
      show(ctx, body, () => render.dryRunLines(body));
    }),
  );

program
  .command('list')
  .description('list recent change orders, newest first')
  .addOption(new Option('--status <status>', 'only orders in this status').choices(Object.keys(ORDER_STATUS)))
  .option('--service <serviceId>', 'only orders that change this service')
  .option('--limit <n>', 'page size (1-200)', int(1))
  .option('--cursor <cursor>', 'the next page, from a previous list')
  .action(
    action<{ status?: string; service?: string; limit?: number; cursor?: string }>(async (ctx, _args, o) => {
      const query = { status: o.status, serviceId: o.service, limit: o.limit, cursor: o.cursor };
      const { body } = await ctx.call<{ changeOrders: render.OrderSummary[]; nextCursor?: string }>('GET', '/v1/change-orders', { query });
      show(ctx, body, () => {
        const lines = body.changeOrders.length ? render.listLines(body.changeOrders) : ['no change orders'];
        if (body.nextCursor) {
          const filters = [o.status && `--status ${o.status}`, o.service && `--service ${o.service}`, o.limit && `--limit ${o.limit}`].filter(Boolean).join(' ');
          lines.push('', `more: changeflow list ${filters ? `${filters} ` : ''}--cursor ${body.nextCursor}`);
        }
        return lines;
      });
    }),
  );

program
  .command('get <id>')
  .description('show a change order with its services, batches and failed targets')
  .option('--edas', 'the EDAS GetChangeOrderInfo shape (always printed as JSON)')
  .action(
    action<{ edas?: boolean }>(async (ctx, [id], o) => {
      const { body } = await ctx.call<render.OrderView>('GET', order(id), { query: { view: o.edas ? 'edas' : undefined } });
      show(o.edas ? { ...ctx, json: true } : ctx, body, () => render.orderLines(body));
    }),
  );

program
  .command('events <id>')
  .description("a change order's audit log")
  .action(
    action(async (ctx, [id]) => {
      const { body } = await ctx.call<{ events: render.EventView[] }>('GET', order(id, '/events'));
      show(ctx, body, () => render.eventLines(body.events));
    }),
  );

program
  .command('report <id>')
  .description('the execution report: per service status, times, target counts and messages')
  .action(
    action(async (ctx, [id]) => {
      const { body } = await ctx.call<render.Report>('GET', order(id, '/report'));
      show(ctx, body, () => render.reportLines(body));
    }),
  );

program
  .command('watch <id>')
  .description('follow a change order until it finishes; the exit code tells how it ended')
  .option('--interval <ms>', 'poll interval', int(10), 500)
  .addHelpText('after', '\nExit codes: 0 SUCCEEDED, 2 PARTIAL, 3 FAILED, 4 STOPPED, 1 API error or unreachable after retries.')
  .action(action<{ interval: number }>(async (ctx, [id], o) => watch(ctx.call, id, { intervalMs: o.interval, json: ctx.json })));

program
  .command('delete <id>')
  .description('delete a finished change order')
  .action(
    action(async (ctx, [id]) => {
      const { body } = await ctx.call('DELETE', order(id));
      show(ctx, body, () => [`deleted change order ${id}`]);
    }),
  );

program
  .command('setup')
  .description('create the Tablestore tables of a cloud deployment (also done on first use)')
  .option('--endpoint <url>', 'Tablestore endpoint (default $CHANGEFLOW_TABLESTORE_ENDPOINT)')
  .option('--instance <name>', 'Tablestore instance (default $CHANGEFLOW_TABLESTORE_INSTANCE)')
  .option('--table-prefix <prefix>', 'table name prefix (default $CHANGEFLOW_TABLE_PREFIX or changeflow_)')
  .addHelpText('after', '\nCredentials come from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (/ ALIBABA_CLOUD_SECURITY_TOKEN).')
  .action(
    action<{ endpoint?: string; instance?: string; tablePrefix?: string }>(async (ctx, _args, o) => {
      const r = await setupTables(o);
      show(ctx, r, () => [`created: ${r.created.join(', ') || 'none'}`, `already there: ${r.existing.join(', ') || 'none'}`]);
    }),
  );

// control commands: intents the engine applies once; repeating one is harmless (applied: false)

interface ControlReply {
  applied?: boolean;
  message?: string;
  status?: string;
  changeOrderId?: string;
  rollbackChangeOrderId?: string;
}

function control(name: string, description: string, body: (o: Record<string, unknown>) => Record<string, unknown>) {
  return program
    .command(`${name} <id>`)
    .description(description)
    .option('--reason <text>', 'recorded in the audit log')
    .action(
      action<Record<string, unknown>>(async (ctx, [id], o) => {
        // undefined fields vanish in JSON, so options not given are not sent
        const { body: reply } = await ctx.call<ControlReply>('POST', order(id, `/${name}`), { json: { ...body(o), reason: o.reason } });
        show(ctx, reply, () => controlLines(reply));
      }),
    );
}

function controlLines(r: ControlReply): string[] {
  return [r.message ?? (r.applied ? 'done' : 'nothing to do'), `status: ${r.status ?? '-'}`, ...(r.rollbackChangeOrderId ? [`rollback change order: ${r.rollbackChangeOrderId}`] : [])];
}

control('continue', 'release the next batch (from WAITING_MANUAL or FAILURE_PAUSED)', (o) => ({ batch: o.batch })) //
  .option('--batch <n>', 'the batch expected next, so a repeated continue cannot release two', int(1));
control('pause', 'pause after running tasks finish', () => ({}));
control('resume', 'resume a PAUSED, SYSTEM_ERROR or WAITING_MANUAL order', () => ({}));
control('abort', 'stop after running tasks finish; changed targets are not rolled back', (o) => ({ rollback: o.rollback ? true : undefined })) //
  .option('--rollback', 'then roll back every target this order changed');
control('rollback', 'a new order taking the changed targets back to their previous version', (o) => ({ batchNumber: o.batchNumber, batchPauseOption: o.batchPauseOption }))
  .option('--batch-number <n>', 'number of batches', int(1))
  .addOption(new Option('--batch-pause-option <option>', 'pause policy of the rollback order').choices(PAUSE_OPTIONS));

for (const [name, description] of [
  ['retry', 'run a failed target again'],
  ['skip', 'mark a target SKIPPED (counted as success) and move on'],
  ['cancel', 'mark a target CANCELLED (counted as failure) and move on'],
] as const) {
  program
    .command(`${name} <id> <targetId>`)
    .description(description)
    .option('--service <serviceId>', 'the service, when the target id is in several')
    .option('--reason <text>', 'recorded in the audit log')
    .action(
      action<{ service?: string; reason?: string }>(async (ctx, [id, targetId], o) => {
        const path = order(id, `/targets/${encodeURIComponent(targetId)}/${name}`);
        const { body } = await ctx.call<ControlReply>('POST', path, { query: { serviceId: o.service }, json: { reason: o.reason } });
        show(ctx, body, () => controlLines(body));
      }),
    );
}

/** every failure becomes an exit code; commander has already printed its own usage errors */
function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
  if (e instanceof UsageError) {
    process.stderr.write(`error: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof ApiError) process.stderr.write(describeApiError(e).map((l) => `${l}\n`).join(''));
  else if (e instanceof ConnectionError) process.stderr.write(`error ConnectionFailed: ${e.message}\n`);
  else process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
  return 1;
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = exitCodeOf(e);
}
