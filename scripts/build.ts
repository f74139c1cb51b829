// Bundles each Function Compute handler into dist/functions/<name>/: index.mjs (the handler and everything it
// imports, one ESM file) plus tablestore.cjs (see SLOPPY_CJS) and their source maps. s.yaml deploys that
// folder as the function's code, with handler `index.handler`; it needs no node_modules.
// The cloud bundles must never contain better-sqlite3 (a native addon used only by the local runtime):
// it is marked external and the build fails if any bundle still imports it.
//
//   npm run build                  # all functions
//   npm run build -- api worker    # only these

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

/** every function s.yaml declares; a function whose source does not exist yet is skipped with a message */
const FUNCTIONS = ['api', 'worker', 'ticker', 'alarm'] as const;
/** packages that must stay out of the cloud bundles */
const FORBIDDEN = ['better-sqlite3'];
/**
 * CommonJS packages written for sloppy mode. tablestore assigns undeclared variables (`for (pro in …)` in
 * filter.js, `key = …` and `size = …` in the plainbuffer builder, …); inside an ES module, which is always
 * strict, that throws ReferenceError on the first conditional write. Each such package is bundled on its
 * own as CommonJS into <name>.cjs next to index.mjs, and index.mjs imports it from there.
 */
const SLOPPY_CJS = ['tablestore'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Bundled CommonJS (the Alibaba Cloud SDKs and their dependencies) expects require, __filename and
// __dirname, which an ES module does not have. Aliased imports keep the banner's own names from clashing
// with names in the bundle.
const BANNER = [
  "import { createRequire as __cfCreateRequire } from 'node:module';",
  "import { fileURLToPath as __cfFileURLToPath } from 'node:url';",
  "import { dirname as __cfDirname } from 'node:path';",
  'const require = __cfCreateRequire(import.meta.url);',
  'const __filename = __cfFileURLToPath(import.meta.url);',
  'const __dirname = __cfDirname(__filename);',
].join('\n');

type Result =
  | { name: string; status: 'built'; files: { file: string; bytes: number; mapBytes: number }[] }
  | { name: string; status: 'skipped'; reason: string }
  | { name: string; status: 'failed'; reason: string };

/** which forbidden packages a bundle contains or imports, from esbuild's metafile */
function forbiddenIn(meta: Metafile): string[] {
  const found = new Set<string>();
  const isForbidden = (p: string, name: string) =>
    p === name || p.startsWith(`${name}/`) || p.split(/[\\/]/).join('/').includes(`node_modules/${name}/`);
  for (const name of FORBIDDEN) {
    for (const input of Object.keys(meta.inputs)) if (isForbidden(input, name)) found.add(name);
    for (const out of Object.values(meta.outputs)) {
      for (const imp of out.imports) if (isForbidden(imp.path, name)) found.add(name);
    }
  }
  return [...found];
}

const sloppyCjs: Plugin = {
  name: 'sloppy-cjs',
  setup(b) {
    for (const pkg of SLOPPY_CJS) {
      b.onResolve({ filter: new RegExp(`^${pkg}(/|$)`) }, (args) =>
        args.path === pkg
          ? { path: `./${pkg}.cjs`, external: true }
          : { errors: [{ text: `import '${pkg}' itself, not '${args.path}': it is bundled separately as ./${pkg}.cjs` }] },
      );
    }
  },
};

function errorText(err: unknown): string {
  const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
  return errors?.length
    ? errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join('\n  ')
    : String(err);
}

/** builds each sloppy package once into dist/vendor/<pkg>.cjs */
const vendored = new Map<string, Promise<{ file: string } | { error: string }>>();
function vendor(pkg: string): Promise<{ file: string } | { error: string }> {
  let p = vendored.get(pkg);
  if (!p) {
    p = (async () => {
      const file = path.join(root, 'dist', 'vendor', `${pkg}.cjs`);
      try {
        const r = await build({
          absWorkingDir: root,
          entryPoints: [createRequire(path.join(root, 'package.json')).resolve(pkg)],
          outfile: file,
          bundle: true,
          platform: 'node',
          format: 'cjs',
          target: 'node20',
          minify: false,
          sourcemap: 'linked',
          metafile: true,
          external: FORBIDDEN,
          logLevel: 'silent',
        });
        const bad = forbiddenIn(r.metafile);
        if (bad.length) return { error: `${pkg} would include ${bad.join(', ')}` };
        return { file };
      } catch (err) {
        return { error: `${pkg}: ${errorText(err)}` };
      }
    })();
    vendored.set(pkg, p);
  }
  return p;
}

const sizes = (file: string) => ({ file: path.relative(root, file), bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size });

async function buildOne(name: string): Promise<Result> {
  const entry = path.join(root, 'functions', name, 'index.ts');
  if (!existsSync(entry)) return { name, status: 'skipped', reason: `functions/${name}/index.ts does not exist` };
  const outdir = path.join(root, 'dist', 'functions', name);
  const outfile = path.join(outdir, 'index.mjs');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  let meta: Metafile;
  try {
    const r = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: false,
      sourcemap: 'linked',
      metafile: true,
      external: FORBIDDEN,
      plugins: [sloppyCjs],
      banner: { js: BANNER },
      logLevel: 'silent',
    });
    meta = r.metafile;
  } catch (err) {
    rmSync(outdir, { recursive: true, force: true });
    return { name, status: 'failed', reason: errorText(err) };
  }
  const bad = forbiddenIn(meta);
  if (bad.length) {
    rmSync(outdir, { recursive: true, force: true });
    const via = Object.entries(meta.inputs)
      .filter(([, v]) => v.imports.some((i) => bad.some((b) => i.path === b || i.path.includes(`node_modules/${b}/`))))
      .map(([k]) => k);
    return { name, status: 'failed', reason: `the bundle would include ${bad.join(', ')} (imported by ${via.join(', ') || 'unknown'}); the cloud path must not use it` };
  }
  // a name clash between the banner and the bundle is a syntax error only Node sees; catch it here
  const check = spawnSync(process.execPath, ['--check', outfile], { encoding: 'utf8' });
  if (check.status !== 0) return { name, status: 'failed', reason: `node --check: ${check.stderr.trim()}` };
  const files = [sizes(outfile)];
  const imported = new Set(Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)));
  for (const pkg of SLOPPY_CJS) {
    if (!imported.has(`./${pkg}.cjs`)) continue;
    const v = await vendor(pkg);
    if ('error' in v) return { name, status: 'failed', reason: v.error };
    const dest = path.join(outdir, `${pkg}.cjs`);
    copyFileSync(v.file, dest);
    copyFileSync(`${v.file}.map`, `${dest}.map`);
    files.push(sizes(dest));
  }
  return { name, status: 'built', files };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => !(FUNCTIONS as readonly string[]).includes(a));
  if (unknown.length) {
    console.error(`unknown function(s): ${unknown.join(', ')} (known: ${FUNCTIONS.join(', ')})`);
    return 2;
  }
  const names = argv.length ? argv : [...FUNCTIONS];
  const started = Date.now();
  const results = await Promise.all(names.map(buildOne));
  for (const r of results) {
    if (r.status === 'built') {
      for (const f of r.files) console.log(`built   ${r.name.padEnd(7)} ${f.file.padEnd(38)} ${kb(f.bytes).padStart(11)} (+ ${kb(f.mapBytes)} source map)`);
    }
    else if (r.status === 'skipped') console.warn(`skipped ${r.name.padEnd(7)} ${r.reason}; s.yaml still declares it, so deploying it will fail until it exists`);
    else console.error(`FAILED  ${r.name.padEnd(7)} ${r.reason}`);
  }
  const failed = results.filter((r) => r.status === 'failed').length;
  console.log(`${results.filter((r) => r.status === 'built').length} built, ${results.filter((r) => r.status === 'skipped').length} skipped, ${failed} failed in ${Date.now() - started} ms`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
