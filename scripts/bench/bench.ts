/**
 * `npm run bench`: download sizes, model load / warm-up / raw latency / whole-query
 * time in Chromium on webgpu, webgl and wasm, the peer engine (the app's tfjs MobileNetV3-S against
 * onnxruntime-web on the same network exported to ONNX: scripts/lib/bench-peer.ts), the search benchmark
 * (scripts/bench/bench-search.ts, run as a child process), and with --soak the
 * 500-search soak, and the catalog indexer's rate (worker pool vs single thread, scripts/lib/bench-indexer.ts). Writes bench/results.json, prints the tables and writes
 * docs/performance.md. Measures the built app: download sizes of the production build
 * (dist/, `npx vite build`), timings of the test build with the worker's benchmark hooks
 * (dist-test/, `npm run build:test`); each is built when missing, both with --build.
 *
 *   npm run bench [-- --soak] [--only download,model,peer,search,soak,indexer] [--backends webgpu,webgl,wasm,wasm-threaded]
 *                 [--rounds N] [--peer-rounds 100] [--peer-software-gpu] [--soak-queries 500] [--soak-backend wasm]
 *                 [--indexer-photos 300] [--indexer-workers N] [--build] [--reuse-search] [--no-docs]
 *   npm run bench -- --render     (re-print and rewrite docs/performance.md from bench/results.json)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type, release, arch } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gpuInfo, instrumentContext, measureBackend, measureChoice, photoSetKey, primeCaches, type BenchBackend } from '../lib/bench-browser.ts';
import { measureDownload } from '../lib/bench-download.ts';
import { measureIndexer } from '../lib/bench-indexer.ts';
import { measurePeer, type PeerBackend } from '../lib/bench-peer.ts';
import { benchPhotos, uniformPhotos } from '../lib/bench-photos.ts';
import { consoleReport, markdownReport, type AnnFile, type MachineInfo, type ModelSection, type Results, type SearchSection } from '../lib/bench-report.ts';
import { describeSoak, runSoak } from '../lib/bench-soak.ts';
import { readManifest } from '../lib/manifest-writer.ts';
import { CHROMIUM_ARGS, DATASETS, ROOT, TEST_BUILD_DIR, hasDatasets, startApp, startBrowserApp } from '../lib/browser-app.ts';
import { PEER_MODEL_ID, ensurePeerOnnx } from '../lib/peer-onnx.ts';
import { buildTestCatalog } from '../lib/test-catalog.ts';
import { findModel } from '../../src/shared/manifest.ts';

const SECTIONS = ['download', 'model', 'peer', 'search', 'soak', 'indexer'] as const;
type Section = (typeof SECTIONS)[number];
const BACKENDS: BenchBackend[] = ['webgpu', 'webgl', 'wasm', 'wasm-threaded'];
/** Measured rounds per backend by default: sized so the whole run stays around 10 minutes on SwiftShader. */
const DEFAULT_ROUNDS: Record<BenchBackend, number> = { webgpu: 6, webgl: 10, wasm: 25, 'wasm-threaded': 15 };
/** The peer section's rounds (each: one image through each engine, for the shipped network and each breakdown variant): about 30 s on wasm. */
const PEER_ROUNDS = 100;
const PEER_BACKENDS: PeerBackend[] = ['wasm', 'webgpu'];

const { values } = parseArgs({
  options: {
    soak: { type: 'boolean', default: false },
    only: { type: 'string' },
    backends: { type: 'string', default: BACKENDS.join(',') },
    rounds: { type: 'string' },
    'peer-rounds': { type: 'string', default: String(PEER_ROUNDS) },
    'peer-software-gpu': { type: 'boolean', default: false },
    'soak-queries': { type: 'string', default: '500' },
    'soak-backend': { type: 'string', default: 'wasm' },
    'indexer-photos': { type: 'string', default: '300' },
    'indexer-workers': { type: 'string' },
    build: { type: 'boolean', default: false },
    'reuse-search': { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results.json' },
    docs: { type: 'string', default: 'docs/performance.md' },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);
const sections = new Set<Section>(
  values.only
    ? (values.only.split(',').map((s) => s.trim()) as Section[])
    : ['download', 'model', 'peer', 'search', 'indexer', ...(values.soak ? (['soak'] as const) : [])],
);
for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`unknown section "${s}" (one of ${SECTIONS.join(', ')})`);
const backends = values.backends.split(',').map((b) => b.trim()) as BenchBackend[];
for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`unknown backend "${b}" (one of ${BACKENDS.join(', ')})`);

function machine(): MachineInfo {
  let osName = `${type()} ${release()} ${arch()}`;
  try {
    const pretty = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)"?/m)?.[1];
    if (pretty) osName = `${pretty} (${type()} ${release()} ${arch()})`;
  } catch {
    // not Linux
  }
  return { cpu: cpus()[0]?.model.trim() ?? '?', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), os: osName, node: process.version };
}

function readPrevious(path: string): Partial<Results> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<Results>;
  } catch {
    return {};
  }
}

async function timed<T>(durations: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    durations[name] = Math.round(performance.now() - t);
  }
}

function runSearchBench(): SearchSection {
  const out = 'bench/search.json';
  const args = ['tsx', 'scripts/bench/bench-search.ts', '--out', out];
  if (!values['reuse-search'] || !existsSync(resolve(ROOT, out))) {
    log(`search: npx ${args.join(' ')}`);
    const r = spawnSync('npx', args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`scripts/bench/bench-search.ts failed (exit ${r.status})`);
  } else log(`search: reusing ${out}`);
  const json = JSON.parse(readFileSync(resolve(ROOT, out), 'utf8')) as Omit<SearchSection, 'command'>;
  return {
    date: json.date,
    tfjsBackend: json.tfjsBackend,
    embedderDimension: json.embedderDimension,
    k: json.k,
    queries: json.queries,
    rows: json.rows,
    ...(json.partitioned ? { partitioned: json.partitioned } : {}),
    ...(json.browser ? { browser: json.browser } : {}),
    // bench/ann.json comes from its own, longer run (scripts/bench/bench-ann.ts: an ANN library built in the page).
    ...(existsSync(resolve(ROOT, 'bench/ann.json')) ? { ann: JSON.parse(readFileSync(resolve(ROOT, 'bench/ann.json'), 'utf8')) as AnnFile } : {}),
    command: `npx ${args.join(' ')}`,
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const outPath = resolve(ROOT, values.out);
  const previous = readPrevious(outPath);
  if (values.render) {
    if (!previous.schema) throw new Error(`${values.out} is missing or not a results file: run npm run bench first`);
    console.log(consoleReport(previous as Results));
    if (!values['no-docs']) writeFileSync(resolve(ROOT, values.docs), markdownReport(previous as Results));
    return;
  }
  const durations: Record<string, number> = {};
  const results: Results = {
    schema: 1,
    date: started.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: { ...previous.machine, ...machine() },
    ...(previous.download && !sections.has('download') ? { download: previous.download } : {}),
    ...(previous.model && !sections.has('model') ? { model: previous.model } : {}),
    ...(previous.peer && !sections.has('peer') ? { peer: previous.peer } : {}),
    ...(previous.search && !sections.has('search') ? { search: previous.search } : {}),
    soak: previous.soak && !sections.has('soak') ? previous.soak : { skipped: 'not run: `npm run bench -- --soak`' },
    ...(previous.indexer && !sections.has('indexer') ? { indexer: previous.indexer } : {}),
    durationsMs: durations,
  };

  const needsBrowser = sections.has('model') || sections.has('peer') || sections.has('soak');
  if (values.build || (sections.has('download') && !existsSync(resolve(ROOT, 'dist/index.html')))) {
    log('building the app (npx vite build)…');
    await timed(durations, 'build', async () => execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' }));
  }
  // The timings need the worker's benchmark hooks (workers/bench-api.ts), which only the test build has.
  if (values.build || (needsBrowser && !existsSync(resolve(ROOT, TEST_BUILD_DIR, 'index.html')))) {
    log(`building the test build (npx vite build --mode test --outDir ${TEST_BUILD_DIR})…`);
    await timed(durations, 'buildTest', async () =>
      execFileSync('npx', ['vite', 'build', '--mode', 'test', '--outDir', TEST_BUILD_DIR, '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' }),
    );
  }

  if (sections.has('download')) {
    results.download = await timed(durations, 'download', async () => ({ date: new Date().toISOString(), ...measureDownload(ROOT) }));
    log(
      `download: page ${results.download.page.reduce((n, f) => n + f.bytes, 0)} B, worker path ${results.download.worker.reduce((n, f) => n + f.bytes, 0)} B, models ${results.download.models.reduce((n, f) => n + f.bytes, 0)} B`,
    );
  }

  if (sections.has('search')) results.search = await timed(durations, 'search', async () => runSearchBench());

  if (needsBrowser) {
    // The browser tests' own setup (scripts/lib/browser-app.ts): the test build on vite preview, Chromium with WebGPU on.
    const app = await startBrowserApp([], { testHooks: true });
    const context = app.context;
    try {
      results.machine.chromium = app.browser.version();
      results.machine.chromiumFlags = CHROMIUM_ARGS;
      await instrumentContext(context);
      results.machine.gpu = await gpuInfo(context, app.url);
      results.machine.softwareGpu = /swiftshader/i.test(
        `${results.machine.gpu.webgpu.architecture} ${results.machine.gpu.webgpu.description} ${results.machine.gpu.webgl.renderer}`,
      );
      log(
        `Chromium ${results.machine.chromium}; WebGPU: ${JSON.stringify(results.machine.gpu.webgpu)}; WebGL: ${results.machine.gpu.webgl.renderer ?? results.machine.gpu.webgl.error}`,
      );

      if (sections.has('model')) {
        results.model = await timed(durations, 'model', async () => {
          const photos = await benchPhotos(DATASETS, resolve(ROOT, '.cache/bench'), 24);
          const firstVisit = await primeCaches(context, app.url, 300_000);
          log(`model: first visit ready in ${firstVisit.firstVisitReadyMs} ms, reload ${firstVisit.reloadReadyMs} ms`);
          const section: ModelSection = {
            date: new Date().toISOString(),
            firstVisit,
            rounds: {},
            photoSets: [photos.small, photos.phone, photos.phoneOldDecode].map((s) => ({ label: s.label, size: photoSetKey(s), count: s.files.length })),
            catalog: 'none',
            backends: [],
          };
          for (const backend of backends) {
            const rounds = values.rounds ? Number(values.rounds) : DEFAULT_ROUNDS[backend];
            section.rounds[backend] = rounds;
            log(`model: ${backend}, ${rounds} rounds`);
            section.backends.push(
              await measureBackend(context, backend, {
                baseUrl: app.url,
                rounds,
                photoSets: [photos.small, photos.phone, photos.phoneOldDecode],
                readyTimeoutMs: 300_000,
                queryTimeoutMs: 180_000,
                log,
              }),
            );
          }
          // Backends `--backends` left out keep the last run's figures, marked with its date.
          for (const kept of previous.model?.backends ?? []) {
            if (backends.includes(kept.requested)) continue;
            section.backends.push({ ...kept, keptFrom: kept.keptFrom ?? previous.model!.date });
            section.rounds[kept.requested] = previous.model!.rounds[kept.requested] ?? 0;
          }
          section.backends.sort((a, b) => BACKENDS.indexOf(a.requested) - BACKENDS.indexOf(b.requested));
          log('model: the backend the app chooses by itself (fresh profile, then a second visit)');
          try {
            section.choice = await measureChoice(app.browser, app.url, 300_000);
            log(
              `model: chose ${section.choice.backend} (${section.choice.how}: ${section.choice.reason}) in ${section.choice.choiceMs ?? '?'} ms; first visit ready in ${section.choice.firstVisitReadyMs} ms (next frame +${section.choice.firstVisitFrameMs} ms); second visit ${section.choice.secondVisit.how} ${section.choice.secondVisit.backend}, ready in ${section.choice.secondVisit.readyMs} ms (next frame +${section.choice.secondVisit.frameMs} ms)`,
            );
          } catch (error) {
            section.choice = { error: error instanceof Error ? error.message : String(error) };
          }
          return section;
        });
      }

      if (sections.has('peer')) {
        results.peer = await timed(durations, 'peer', async () => {
          const onnxPaths = await ensurePeerOnnx(log);
          log(`peer: ${PEER_MODEL_ID} on the app's tfjs vs onnxruntime-web, ${values['peer-rounds']} rounds`);
          // Both engines on one wasm thread: the test build served without COOP/COEP (the app as served would give
          // tfjs every core, which onnxruntime-web on the page's main thread would not match).
          const singleThreaded = await startApp({ testHooks: true, withoutIsolation: true });
          try {
            return await measurePeer(app.browser, {
              baseUrl: singleThreaded.url,
              onnxPaths,
              modelId: PEER_MODEL_ID,
              inputSize: findModel(readManifest(), PEER_MODEL_ID).inputSize,
              backends: PEER_BACKENDS,
              rounds: Number(values['peer-rounds']),
              breakdown: true,
              softwareGpu: results.machine.softwareGpu ?? true,
              measureSoftwareGpu: values['peer-software-gpu'],
              readyTimeoutMs: 300_000,
              log,
            });
          } finally {
            await singleThreaded.close();
          }
        });
      }

      if (sections.has('soak')) {
        if (!hasDatasets) results.soak = { skipped: 'not run: needs ../shared/datasets (the test catalog and photos)' };
        else {
          const soak = await timed(durations, 'soak', async () => {
            const { url } = await buildTestCatalog();
            return runSoak(context, {
              baseUrl: app.url,
              catalogUrl: url,
              backend: values['soak-backend'] as BenchBackend,
              queries: Number(values['soak-queries']),
              photos: await uniformPhotos(DATASETS, 20),
              log,
            });
          });
          for (const line of describeSoak(soak)) log(line);
          results.soak = { date: new Date().toISOString(), ...soak };
        }
      }
    } finally {
      await app.close();
    }
  }

  if (sections.has('indexer')) {
    if (!existsSync(resolve(DATASETS, 'hm-catalog/items.csv'))) {
      results.indexer = { skipped: 'not run: needs ../shared/datasets/hm-catalog (real product photos)' };
      log(`indexer: skipped, ${resolve(DATASETS, 'hm-catalog/items.csv')} is not there`);
    } else
      results.indexer = await timed(durations, 'indexer', () =>
        measureIndexer({
          datasets: DATASETS,
          work: resolve(ROOT, '.cache/bench-indexer'),
          photos: Number(values['indexer-photos']),
          ...(values['indexer-workers'] ? { workers: Number(values['indexer-workers']) } : {}),
          log,
        }),
      );
  }

  durations.total = Date.now() - started.getTime();
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(consoleReport(results));
  log(`wrote ${values.out}`);
  if (!values['no-docs']) {
    const docs = resolve(ROOT, values.docs);
    mkdirSync(dirname(docs), { recursive: true });
    writeFileSync(docs, markdownReport(results));
    log(`wrote ${values.docs}`);
  }
  const soak = results.soak && 'pass' in results.soak ? results.soak : undefined;
  if (sections.has('soak') && soak && !soak.pass) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
