/**
 * `npm run bench` output: the shape of bench/results.json, the console tables,
 * and docs/performance.md (written whole from the results, prose included).
 */
import type { BackendResult, ChoiceResult, GpuInfo } from './bench-browser.ts';
import type { DownloadReport } from './bench-download.ts';
import { PEER_VARIANTS } from '../../workers/bench-variants.ts';
import type { PeerSection } from './bench-peer.ts';
import type { SoakResult } from './bench-soak.ts';

import type { MillionResult } from './bench-million.ts';
import type { PartitionedSection } from './bench-partitioned.ts';
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGB: number;
  os: string;
  node: string;
  chromium?: string;
  chromiumFlags?: string[];
  gpu?: GpuInfo;
  /** True when WebGPU/WebGL run on SwiftShader (CPU): absolute GPU timings mean little, ratios do. */
  softwareGpu?: boolean;
}

export interface SearchRow {
  n: number;
  dimension: number;
  shards: number;
  shardMB: number;
  typedArrayMsPerQuery: number;
  typedArrayGBps: number;
  memoryScanGBps: number;
  wordScanGBps: number;
  typedArrayVsMemoryScan: number;
  tfjsBackend: string;
  tfjsUploadMs: number;
  tfjsMsPerQuery: number;
  tfjsGBps: number;
}

export interface SearchSection {
  date: string;
  tfjsBackend: string;
  embedderDimension: number;
  k: number;
  queries: number;
  rows: SearchRow[];
  /** How it was produced: `npx tsx scripts/bench/bench-search.ts …`. */
  command: string;
  /** Exact scan vs partitioned search at 100k and 1M items (#25; scripts/lib/bench-partitioned.ts). */
  partitioned?: PartitionedSection;
  /** A 1M-item partitioned catalog opened and searched in the built app (scripts/lib/bench-million.ts). */
  browser?: MillionResult;
  /** hnswlib-wasm vs the int8 exact scan in Chromium (bench/ann.json, scripts/bench/bench-ann.ts). */
  ann?: AnnFile;
}

/** What docs/performance.md reads of bench/ann.json. */
export interface AnnFile {
  date: string;
  library: string;
  params: { m: number; efConstruction: number; queries: number };
  runs: {
    n: number;
    dist: string;
    error?: string;
    build?: { builder: string; buildMs: number; indexBytes: number };
    load?: { loadMs: number; memory?: { wasmHeapBytes?: number }; heapUsage?: { backingStorageSize?: number } };
    hnsw?: { efSearch: number; recallAt10: number; medianMs: number; p95Ms: number }[];
    exact?: { recallAt10: number; medianMs: number; p95Ms: number; shardBytes: number; queries: number };
  }[];
  notes?: string[];
}

export interface ModelSection {
  date: string;
  /** Cold loads are measured with the Service Worker and HTTP caches warm: no download. */
  firstVisit?: { firstVisitReadyMs: number; reloadReadyMs: number };
  rounds: Record<string, number>;
  photoSets: { label: string; size: string; count: number }[];
  catalog: string;
  backends: BackendResult[];
  /** The backend the app chose by itself (measured on a fresh profile), and the next visit's remembered choice. */
  choice?: ChoiceResult | { error: string };
}

export interface IndexerRun {
  label: string;
  /** 0: the models in the main thread. */
  workers: number;
  batchSize: number;
  images: number;
  /** From the first image embedded to the last. */
  seconds: number;
  imagesPerSecond: number;
  /** sharp decode time per image, as the run saw it (in a pool it runs beside inference, waits included). */
  decodeMsPerImage: number;
  /** Inference time per image inside one worker (or the main thread). */
  inferenceMsPerImage: number;
  inferenceCalls: number;
  /** CPU time of the whole process (every thread) per image embedded: what the run costs, whatever else runs on the machine. */
  cpuMsPerImage?: number;
  /** 1-minute load average before and after the run (the cores are shared). */
  loadAverage: [number, number];
}

export interface IndexerSection {
  date: string;
  photos: { source: string; count: number };
  cores: number;
  workers: number;
  /** Single, pool, pool, single (older results: single, pool, one worker). */
  runs: IndexerRun[];
  /** Means over the runs of each kind. */
  singleImagesPerSecond?: number;
  poolImagesPerSecond?: number;
  poolCpuMsPerImage?: number;
  /** Pool images/s ÷ single-thread images/s, same run, same photos. */
  speedup: number;
  /** Largest |difference| between the single-thread and pool embeddings of the same photos. */
  maxVectorDifference: number;
  decodeAloneMsPerImage: number;
  decodeAloneCpuMsPerImage?: number;
  /** Inference alone in one thread, ms per image, by images per call. */
  batchSweep: { batchSize: number; msPerImage: number; cpuMsPerImage?: number }[];
  /** images/s the pool should reach (#24). */
  target: number;
}

export interface Results {
  schema: 1;
  date: string;
  command: string;
  machine: MachineInfo;
  download?: DownloadReport & { date: string };
  model?: ModelSection;
  /** The app's tfjs path for one member against onnxruntime-web on the same network (#24.5). */
  peer?: PeerSection;
  search?: SearchSection;
  soak?: (SoakResult & { date: string }) | { skipped: string };
  indexer?: IndexerSection | { skipped: string };
  durationsMs: Record<string, number>;
}

// ------------------------------------------------------------------ formatting

const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
/** Milliseconds with one decimal below 100 (the peer timings are tens of ms). */
const ms2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`);
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}×`);

type Table = { head: string[]; rows: string[][]; align?: ('l' | 'r')[] };

function consoleTable(t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => ((t.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(t.head), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

function markdownTable(t: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const sep = t.head.map((_, i) => ((t.align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? '---' : '---:'));
  return [`| ${t.head.map(esc).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function downloadTables(d: DownloadReport): { files: Table; totals: Table; catalog: Table } {
  const rows = [...d.page, ...d.worker, ...d.wasm, ...d.models].map((f) => [f.file.replace(/^assets\//, ''), f.note ?? '', kb(f.bytes), kb(f.gzip)]);
  const c = d.catalog10k;
  return {
    files: { head: ['file', 'what / when', 'bytes', 'gzip'], rows, align: ['l', 'l', 'r', 'r'] },
    totals: {
      head: ['total', 'bytes', 'gzip'],
      rows: [
        ['first search on WebGPU (page + worker + WebGPU chunk + models)', kb(d.firstSearch.webgpu.bytes), kb(d.firstSearch.webgpu.gzip)],
        ['first search on WASM (page + worker + SIMD wasm + models)', kb(d.firstSearch.wasm.bytes), kb(d.firstSearch.wasm.gzip)],
        [`Service Worker precache (${d.precache.files} files: every chunk and wasm, icons)`, kb(d.precache.bytes), kb(d.precache.gzip)],
        ['first visit in all (precache + models)', kb(d.firstVisit.bytes), kb(d.firstVisit.gzip)],
      ],
    },
    catalog: {
      head: [`catalog of ${c.items.toLocaleString('en')} items, d=${c.dimension}`, 'bytes', 'gzip'],
      rows: [
        [
          `int8 shards (${c.shards.map((s) => s.count).join(' + ')} vectors: 16 B header + 4 B scale + ${c.dimension} B per vector)`,
          kb(c.shardBytes),
          kb(c.shardGzipBytes),
        ],
        ['item metadata (items-000.json)', kb(c.itemsJsonBytes), kb(c.itemsJsonGzipBytes)],
        ['catalog.json', kb(c.catalogJsonBytes), '–'],
        ['opening the catalog in all', kb(c.totalBytes), kb(c.totalGzipBytes)],
        ['each thumbnail (fetched only for results shown)', kb(c.thumbnailBytesEach), '–'],
      ],
    },
  };
}

function modelTable(m: ModelSection): Table {
  const sets = m.photoSets;
  const head = [
    'backend',
    'ready (warm cache)',
    'startup',
    'model load',
    'warm-up',
    'raw models',
    ...sets.flatMap((s) => [`app query ${s.size}`, 'ratio']),
    'tensors Δ',
    'GPU bytes Δ',
  ];
  const rows = m.backends.map((b) => {
    if (!b.ok) return [b.requested, `failed: ${b.error ?? '?'}`, ...head.slice(2).map(() => '')];
    const raw = b.raw && 'medianMs' in b.raw ? b.raw.medianMs : undefined;
    return [
      b.requested,
      ms(b.load?.toReadyMs),
      ms(b.load?.startupMs),
      ms(b.load?.modelLoadMs),
      ms(b.load?.warmupMs),
      raw === undefined ? 'not wired' : ms(raw),
      ...sets.flatMap((s) => {
        const q = b.app?.find((a) => a.photos === s.size);
        return [ms(q?.medianMs), ratio(q?.ratioToRaw)];
      }),
      b.memory ? `${b.memory.tensorGrowth >= 0 ? '+' : ''}${b.memory.tensorGrowth}` : '–',
      b.memory?.gpuBytesGrowth !== undefined
        ? b.memory.gpuBytesGrowth === 0
          ? '0 B'
          : `${b.memory.gpuBytesGrowth > 0 ? '+' : '−'}${kb(Math.abs(b.memory.gpuBytesGrowth))}`
        : '–',
    ];
  });
  return { head, rows };
}

function breakdownTable(m: ModelSection): Table {
  const rows: string[][] = [];
  for (const b of m.backends) {
    if (!b.ok) continue;
    for (const q of b.app ?? [])
      rows.push([
        b.requested,
        q.photos,
        String(q.runs),
        ms(q.medianMs),
        ms(q.embedMedianMs),
        ms(q.searchMedianMs),
        ms(q.pageMedianMs),
        ratio(q.ratioToRaw),
        ms(q.rawOnPhotoMedianMs),
        ratio(q.ratioToRawOnPhoto),
      ]);
  }
  const head = [
    'backend',
    'photo',
    'runs',
    'whole query',
    'worker embed',
    'worker search',
    'page + transfer',
    '÷ raw',
    'raw on that photo',
    '÷ raw on that photo',
  ];
  // Without a catalog there is no search figure: leave the column out.
  const keep = head.map((_, i) => i !== 5 || rows.some((r) => r[5] !== '–'));
  return { head: head.filter((_, i) => keep[i]), rows: rows.map((r) => r.filter((_, i) => keep[i])) };
}

function searchTable(s: SearchSection): Table {
  return {
    head: ['items', 'dim', 'shards MB', 'typed-array ms/query', 'GB/s', '% of a plain byte scan', `tfjs (${s.tfjsBackend}) ms/query`, 'tfjs upload ms'],
    rows: s.rows.map((r) => [
      r.n.toLocaleString('en'),
      String(r.dimension),
      r.shardMB.toFixed(1),
      r.typedArrayMsPerQuery.toFixed(1),
      r.typedArrayGBps.toFixed(2),
      `${Math.round(r.typedArrayVsMemoryScan * 100)}%`,
      r.tfjsMsPerQuery.toFixed(1),
      String(r.tfjsUploadMs),
    ]),
  };
}

const mb1 = (bytes: number) => (bytes / 1e6).toFixed(1);

function partitionedTable(p: PartitionedSection): Table {
  return {
    head: [
      'items',
      'vectors',
      'partitions',
      'build s',
      'exact ms/query (p95)',
      'partitioned ms/query, cached (p95)',
      'recall@10 vs exact',
      'partitions probed',
      'items scanned',
      'MB read (p95)',
      'first answer: recall@10 · MB',
      'memory MB: exact → partitioned',
    ],
    rows: p.rows.map((r) => [
      r.n.toLocaleString('en'),
      r.distribution,
      `${r.partitions.toLocaleString('en')} × ~${r.partitionSize.toLocaleString('en')}`,
      (r.buildMs / 1000).toFixed(0),
      `${r.exactMsMedian.toFixed(1)} (${r.exactMsP95.toFixed(1)})`,
      `${r.partitionedWarmMsMedian.toFixed(1)} (${r.partitionedWarmMsP95.toFixed(1)})`,
      r.recallAt10.toFixed(3),
      String(r.probesMedian),
      r.itemsScannedMedian.toLocaleString('en'),
      `${mb1(r.coldBytesMedian)} (${mb1(r.coldBytesP95)})`,
      r.first ? `${r.first.recallAt10.toFixed(3)} · ${mb1(r.first.coldBytesMedian)}` : '–',
      `${r.exactResidentMB.toFixed(0)} → ${r.partitionedResidentPeakMB.toFixed(0)}`,
    ]),
  };
}

function budgetTable(p: PartitionedSection): Table | undefined {
  const curves = [
    ...(p.sizeSweep ?? []).map((s) => ({ label: `${s.n.toLocaleString('en')} real, ~${s.partitionSize.toLocaleString('en')}/partition`, budgets: s.budgets })),
    ...p.rows
      .filter((r) => r.budgets)
      .map((r) => ({ label: `${r.n.toLocaleString('en')} ${r.distribution}, ~${r.partitionSize.toLocaleString('en')}/partition`, budgets: r.budgets! })),
  ];
  if (curves.length === 0) return undefined;
  const budgets = curves[0]!.budgets.map((b) => b.probeItems);
  return {
    head: ['validation queries', ...budgets.map((b) => `${(b / 1000).toFixed(0)}k items`)],
    rows: curves.map((c) => [c.label, ...c.budgets.map((b) => `${b.recallAt10.toFixed(3)} · ${mb1(b.bytesMedian)} MB`)]),
  };
}

function partitionedMarkdown(p: PartitionedSection | undefined): string[] {
  if (!p) return [];
  const budgets = budgetTable(p);
  return [
    '',
    '### Partitioned search (large catalogs)',
    '',
    `Exact int8 scan over the whole catalog vs \`PartitionedSearch\` (workers/search/partitioned-search.ts): k-means partitions (scripts/lib/kmeans.ts on a sample), one int8 shard each, probed nearest centroid first until ${p.defaultProbeItems.toLocaleString('en')} items (the default budget), LRU of ${p.maxResidentMB} MB. ${p.queries} queries per row (medians; recall@10 is the mean against the exact scan of the same int8 catalog), other seeds than the ${p.validationQueries} validation queries the budget was chosen on. "Real" vectors are sampled around the ${p.realCatalog ? `${p.realCatalog.items.toLocaleString('en')} real catalog embeddings` : 'real catalog embeddings'} (scripts/lib/synthetic-vectors.ts); "uniform" ones are the worst case (no structure). MB read = catalog.json + centroid file + the probed partitions' shards + the item files of the partitions holding the top 10 (${p.itemBytesPerItem} bytes of JSON per item, the real catalog's mean), raw (no gzip). The app shows a quick first answer from the nearest ${p.rows.find((r) => r.first)?.first?.probeItems.toLocaleString('en') ?? '8,000'} items (FIRST_RESULTS_ITEMS, chosen on the validation curve below), then reads the rest of the budget in the background and replaces it: "first answer" gives that answer's recall@10 and the MB before it (the MB before the first results), on the same test queries. Memory: the shard bytes an exact scan holds vs the most the partition cache held over all queries (plus the centroids).`,
    '',
    markdownTable(partitionedTable(p)),
    ...(budgets ? ['', 'Recall@10 and median MB before first results by probe budget (validation queries):', '', markdownTable(budgets)] : []),
  ];
}

/** hnswlib-wasm vs our exact scan, in the browser (bench/ann.json). */
function annMarkdown(a: AnnFile | undefined): string[] {
  if (!a) return [];
  const mb = (x: number) => (x / 1e6).toFixed(1);
  const rows: string[][] = [];
  for (const r of a.runs) {
    const at = `${r.n.toLocaleString('en')} ${r.dist}`;
    const index = r.build ? `${mb(r.build.indexBytes)} MB` : '–';
    const built = r.build ? `${(r.build.buildMs / 1000).toFixed(0)} s (${r.build.builder === 'native' ? 'native, offline' : 'in the page'})` : '–';
    const memory = r.load?.memory?.wasmHeapBytes ? `${mb(r.load.memory.wasmHeapBytes + (r.load.heapUsage?.backingStorageSize ?? 0))} MB` : '–';
    if (r.hnsw?.length && !r.error) {
      const best = r.hnsw.find((h) => h.recallAt10 >= 0.95) ?? r.hnsw.at(-1)!;
      rows.push([
        at,
        `hnswlib-wasm, efSearch ${best.efSearch}`,
        best.recallAt10.toFixed(3),
        `${best.medianMs.toFixed(2)} (${best.p95Ms.toFixed(1)})`,
        index,
        built,
        r.load ? `${(r.load.loadMs / 1000).toFixed(1)} s` : '–',
        memory,
      ]);
    } else rows.push([at, 'hnswlib-wasm', r.error ? `failed: ${r.error.replace(/^.*?: /, '')}` : '–', '–', index, built, '–', '–']);
    if (r.exact)
      rows.push([
        at,
        `exact int8 scan (${r.exact.queries} queries)`,
        r.exact.recallAt10.toFixed(3),
        `${r.exact.medianMs.toFixed(1)} (${r.exact.p95Ms.toFixed(1)})`,
        `${mb(r.exact.shardBytes)} MB`,
        '–',
        '–',
        `${mb(r.exact.shardBytes)} MB`,
      ]);
  }
  return [
    '',
    '### Exact, partitioned or an ANN library',
    '',
    `${a.library} (nmslib's HNSW compiled to wasm, used as its README shows: an index built once, shipped as a file, loaded into its IndexedDB file system and queried) beside our int8 exact scan, in the same Chromium page, measured ${a.date.slice(0, 16).replace('T', ' ')} UTC with \`npx tsx scripts/bench/bench-ann.ts\` (M = ${a.params.m}, efConstruction = ${a.params.efConstruction}, ${a.params.queries} queries; recall@10 against the exact float32 top 10, so the int8 scan's own rounding shows too). The row per library run is the smallest efSearch reaching recall 0.95 (the whole sweep is in bench/ann.json). Download = the index file, which must arrive whole before the first query.`,
    '',
    markdownTable({ head: ['vectors', 'method', 'recall@10 (float32 truth)', 'ms/query (p95)', 'download', 'build', 'load', 'memory'], rows }),
    '',
    ...(a.notes ?? []).map((n) => `- ${n}`),
    '',
    "**Verdict: the library is not kept.** It answers in under a millisecond where it loads, but a shop's whole index (float32 vectors and graph, ~1.17 KB an item at d = 256) must be downloaded and held before the first result: 117 MB at 100k (our partitioned catalog needs 17–19 MB before its first results, the whole 100k catalog is 26 MB), 1.17 GB at 1M, which Chromium's IndexedDB refuses to store in one piece, so it cannot open at all. Partitioned int8 search meets the 1M targets (bytes, recall against the exact scan, ms once cached) with bounded memory and nothing but static files; it stays. The int8 storage itself costs recall against float32 on dense catalogs (0.93 at 1M real-distribution): that is the price of a 4× smaller download, the same for the exact and the partitioned scans.",
  ];
}

/** The 1M-item catalog in the built app (bench-million.ts). */
function millionMarkdown(b: MillionResult | undefined): string[] {
  if (!b) return [];
  const mb = (x: number) => (x / 1e6).toFixed(1);
  return [
    '',
    '### A million-item catalog in the app',
    '',
    `Measured ${b.date.slice(0, 16).replace('T', ' ')} UTC with \`npm run bench:search\` (scripts/lib/bench-million.ts): a ${b.items.toLocaleString('en')}-item partitioned catalog (${b.partitions.toLocaleString('en')} partitions, ${mb(b.catalogBytes)} MB of shards and item files on the host; real-distribution vectors, each item with the metadata of the real product it was sampled around) served by the preview server and opened in the built app in Chromium on **${b.backend}**, models already cached. Opening it downloads catalog.json (${mb(b.catalogJsonBytes)} MB) and the centroid file (${mb(b.centroidBytes)} MB): **${(b.openMs / 1000).toFixed(1)} s** from page load to the catalog named. Each photo is searched once — a first answer from the nearest partitions (FIRST_RESULTS_ITEMS), then the rest of the budget read in the background and the answer replaced in place — and again (its partitions on the device). Over localhost on the shared 2-core machine: a phone's network adds the download time of the MB columns.`,
    '',
    markdownTable({
      head: ['photo', 'first answer', 'MB', 'items read', 'refined answer', 'MB in all', 'items read', 'same photo again: search'],
      rows: b.queries.map((q) => [
        q.photo,
        `${Math.round(q.firstMs)} ms`,
        mb(q.firstBytes),
        q.firstItemsSearched.toLocaleString('en'),
        `${Math.round(q.fullMs)} ms`,
        mb(q.fullBytes),
        q.itemsSearched.toLocaleString('en'),
        `${Math.round(q.againSearchMs)} ms`,
      ]),
    }),
    '',
    `Bytes before the first results: **${mb(b.bytesBeforeFirstResults)} MB** (catalog.json + centroids + the first answer's partitions; target ≤ 30 MB).${b.memoryBytes !== undefined ? ` Memory of the page and its workers after the searches (\`performance.measureUserAgentSpecificMemory\`): **${mb(b.memoryBytes)} MB**, models included; the partition cache is bounded at 64 MiB of shards, so the catalog is never held whole.` : ''}`,
  ];
}

/** The pool's and the single thread's images/s (means over their runs). */
function rates(x: IndexerSection): { pool: number; single: number } {
  return { pool: x.poolImagesPerSecond ?? x.runs[1]!.imagesPerSecond, single: x.singleImagesPerSecond ?? x.runs[0]!.imagesPerSecond };
}

/** The 1-minute load averages seen around the runs, lowest to highest. */
function loadRange(x: IndexerSection): string {
  const loads = x.runs.flatMap((r) => r.loadAverage);
  return `${Math.min(...loads)}–${Math.max(...loads)}`;
}

/** images/s the pool's CPU cost per image allows on `cores` cores that nothing else uses. */
function freeCoresRate(x: IndexerSection): number | undefined {
  const cpu = x.poolCpuMsPerImage ?? x.runs[1]?.cpuMsPerImage;
  return cpu && Number.isFinite(cpu) ? (1000 * x.cores) / cpu : undefined;
}

/** A sentence when the pool's workers clearly did not get a core each (per-image inference much slower than in the single thread). */
function contention(x: IndexerSection): string {
  const mean = (runs: IndexerRun[]) => runs.reduce((n, r) => n + r.inferenceMsPerImage, 0) / runs.length;
  const single = mean(x.runs.filter((r) => r.workers === 0));
  const pool = mean(x.runs.filter((r) => r.workers === x.workers && r.workers > 0));
  if (!(pool >= 1.3 * single)) return '';
  return ` Each worker took ${pool.toFixed(0)} ms of inference per image against ${single.toFixed(0)} ms in the single thread: with a load average of ${loadRange(x)} on ${x.cores} cores the workers did not get a core each, so the pool's rate here is below what ${x.workers} free cores give.`;
}

function indexerTable(x: IndexerSection): Table {
  return {
    head: [
      'run',
      'workers',
      'images/call',
      'images',
      'seconds',
      'images/s',
      'CPU ms/image (all threads)',
      'inference ms/image (per worker)',
      'decode ms/image (wall, waits included)',
      'load avg before → after',
    ],
    rows: x.runs.map((r) => [
      r.label,
      String(r.workers),
      String(r.batchSize),
      String(r.images),
      r.seconds.toFixed(1),
      r.imagesPerSecond.toFixed(1),
      r.cpuMsPerImage === undefined ? '–' : r.cpuMsPerImage.toFixed(1),
      r.inferenceMsPerImage.toFixed(1),
      r.decodeMsPerImage.toFixed(1),
      r.loadAverage.join(' → '),
    ]),
  };
}

function indexerSweepTable(x: IndexerSection): Table {
  return {
    head: ['images per inference call', ...x.batchSweep.map((b) => String(b.batchSize))],
    rows: [
      ['ms per image (wall)', ...x.batchSweep.map((b) => b.msPerImage.toFixed(1))],
      ...(x.batchSweep.every((b) => b.cpuMsPerImage !== undefined) ? [['CPU ms per image', ...x.batchSweep.map((b) => b.cpuMsPerImage!.toFixed(1))]] : []),
    ],
  };
}

function indexerLine(x: Results['indexer']): string {
  if (!x) return '- Indexer: not measured (`npm run bench -- --only indexer`).';
  if ('skipped' in x) return `- Indexer: ${x.skipped}.`;
  const { pool, single } = rates(x);
  return `- Indexer: **${pool.toFixed(1)} images/s** with ${x.workers} worker threads on ${x.cores} cores vs ${single.toFixed(1)} images/s single-threaded in the same run (**${ratio(x.speedup)}**; target ${x.target} images/s ${pool >= x.target ? 'met' : 'not met'}; load average ${loadRange(x)} on ${x.cores} shared cores)${freeCoresRate(x) ? `; its CPU time per image allows about ${freeCoresRate(x)!.toFixed(0)} images/s on ${x.cores} free cores` : ''}.`;
}

function soakLines(s: Results['soak']): string[] {
  if (!s) return ['not run'];
  if ('skipped' in s) return [s.skipped];
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  return [
    `Measured ${'date' in s ? `${String(s.date).slice(0, 16).replace('T', ' ')} UTC` : ''}: ${s.queries} consecutive searches on **${s.backend}** through the UI, ${s.distinctPhotos} photos in turn, on the test catalog (${s.catalogItems ?? '?'} items); each photo also runs object detection afterwards (waited for, not timed). ${(s.wallMs / 1000).toFixed(0)} s in all. **${s.pass ? 'PASS' : 'FAIL'}**.`,
    `- query time, first ${s.window}: median ${ms(s.firstMedianMs)}; last ${s.window}: median ${ms(s.lastMedianMs)} → **${s.slowdown.toFixed(2)}×** (limit ${s.maxSlowdown}×) ${s.checks.lastWithinSlowdown ? 'ok' : 'FAIL'}`,
    `- worker tensors: ${s.baseline.numTensors} after ${s.baseline.query} searches → ${s.final.numTensors} after ${s.final.query} (**${s.tensorGrowth >= 0 ? '+' : ''}${s.tensorGrowth}**) ${s.checks.tensorsDoNotGrow ? 'ok' : 'FAIL'}; tensor bytes ${mb(s.baseline.numBytes)} → ${mb(s.final.numBytes)}`,
    s.gpuBytesGrowth !== undefined
      ? `- GPU bytes allocated: ${mb(s.baseline.gpuBytesAllocated!)} → ${mb(s.final.gpuBytesAllocated!)} (**${s.gpuBytesGrowth >= 0 ? '+' : ''}${s.gpuBytesGrowth} B**) ${s.checks.gpuBytesDoNotGrow ? 'ok' : 'FAIL'}`
      : `- GPU bytes: not applicable on ${s.backend} (no GPU memory)`,
    `- worker medians: embed ${ms(s.embedMedianMs)}, catalog search ${ms(s.searchMedianMs)}`,
  ];
}

/** wasm as the app chooses it against tfjs's threaded build forced (`?threads=on`), same run: raw models and whole queries. */
function threadsLine(backends: BackendResult[]): string | undefined {
  const chosen = backends.find((b) => b.requested === 'wasm');
  const forced = backends.find((b) => b.requested === 'wasm-threaded');
  const rawMs = (b?: BackendResult) => (b?.ok && !b.keptFrom && b.raw && 'medianMs' in b.raw ? b.raw.medianMs : undefined);
  const [c, f] = [rawMs(chosen), rawMs(forced)];
  if (c === undefined || f === undefined) return undefined;
  const queries = (chosen!.app ?? []).flatMap((q) => {
    const other = forced!.app?.find((o) => o.photos === q.photos);
    return other ? [`${q.photos} photos ${ms(q.medianMs)} against ${ms(other.medianMs)}`] : [];
  });
  return `wasm as the app chose it (${chosen!.detail}) against the threaded build forced with \`?threads=on\` (${forced!.detail}): raw models ${ms(c)} against ${ms(f)}; whole query ${queries.join(', ')} (medians of the same run).`;
}

function machineLines(m: MachineInfo): string[] {
  const g = m.gpu;
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores; ${m.memoryGB} GB memory; ${m.os}; Node ${m.node}`,
    `- Browser: Chromium ${m.chromium ?? '?'} (headless), flags \`${(m.chromiumFlags ?? []).join(' ')}\``,
    `- WebGPU adapter: ${g?.webgpu.available ? `vendor "${g.webgpu.vendor}", architecture "${g.webgpu.architecture}"${g.webgpu.device ? `, device "${g.webgpu.device}"` : ''}${g.webgpu.description ? `, "${g.webgpu.description}"` : ''}` : `none (${g?.webgpu.error ?? '?'})`}`,
    `- WebGL: ${g?.webgl.available ? `${g.webgl.renderer} (${g.webgl.version})` : `none (${g?.webgl.error ?? '?'})`}`,
    `- crossOriginIsolated: ${g?.crossOriginIsolated ?? '?'} (${g?.crossOriginIsolated ? 'the app as served: the wasm backend may run its threaded SIMD build' : 'so the wasm backend runs single-threaded SIMD'})`,
    m.softwareGpu
      ? '- **Software GPU.** WebGPU and WebGL run on SwiftShader, on the CPU: their absolute times are many times slower than any real GPU and noisy (the two cores are shared). Compare the ratios and the relative numbers, not the milliseconds.'
      : '- Hardware GPU.',
  ];
}

function peerTable(p: PeerSection): Table {
  const head = ['backend', 'engine', 'ms per image (median)', 'fastest', 'warm-up (first run)', 'load', 'ours ÷ theirs', 'paired', 'features cosine'];
  const rows: string[][] = [];
  for (const b of p.backends) {
    if (b.skipped || b.error || !b.ours || !b.theirs) {
      rows.push([b.backend, b.skipped ?? `failed: ${b.error ?? '?'}`, '', '', '', '', '', '', '']);
      continue;
    }
    const threads = (e: typeof b.ours) => (e.threads === 1 ? ', 1 thread' : '');
    rows.push([
      b.backend,
      `tfjs ${b.ours.version} (ours)${threads(b.ours)}`,
      ms2(b.ours.medianMs),
      ms2(b.ours.minMs),
      ms2(b.ours.warmupMs),
      ms(b.ours.loadMs),
      ratio(b.ratio),
      ratio(b.pairedRatio),
      String(b.featureCosine ?? '–'),
    ]);
    rows.push([
      b.backend,
      `onnxruntime-web ${b.theirs.version}${threads(b.theirs)}`,
      ms2(b.theirs.medianMs),
      ms2(b.theirs.minMs),
      ms2(b.theirs.warmupMs),
      `${ms(b.theirs.loadMs)}${b.theirs.runtimeStartMs !== undefined ? ` (+${ms(b.theirs.runtimeStartMs)} runtime start)` : ''}`,
      '',
      '',
      '',
    ]);
  }
  return { head, rows, align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] };
}

/** The breakdown: each variant's medians, and what the swapped-out layers cost each engine (paired: shipped − variant, round by round). */
function peerBreakdownTable(p: PeerSection): Table | undefined {
  const rows: string[][] = [];
  for (const b of p.backends)
    for (const v of b.breakdown ?? [])
      rows.push([
        b.backend,
        v.variant,
        PEER_VARIANTS[v.variant],
        String(v.rounds),
        ms2(v.oursMedianMs),
        ms2(v.theirsMedianMs),
        v.oursCostMs === undefined ? '' : ms2(v.oursCostMs),
        v.theirsCostMs === undefined ? '' : ms2(v.theirsCostMs),
      ]);
  if (!rows.length) return undefined;
  return {
    head: ['backend', 'variant', 'what', 'rounds', 'tfjs (ours)', 'onnxruntime-web', 'those layers cost ours', 'those layers cost theirs'],
    rows,
    align: ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
  };
}

function peerSummary(p: PeerSection): string[] {
  return p.backends.map((b) => {
    if (b.skipped) return `- Peer engine on ${b.backend}: ${b.skipped}.`;
    if (b.note && b.ours && b.theirs) return `- Peer engine on ${b.backend}: ${b.note} (ours ${ms2(b.ours.medianMs)}, theirs ${ms2(b.theirs.medianMs)}).`;
    if (!b.ours || !b.theirs) return `- Peer engine on ${b.backend}: failed (${b.error ?? '?'}).`;
    const verdict = b.ratio === undefined ? '' : b.ratio <= 1 ? '(≤ 1.0×: met)' : '(over 1.0×: slower than the peer)';
    return `- Peer engine on ${b.backend} (${p.model}, ${p.inputSize}×${p.inputSize}): ours (tfjs) ${ms2(b.ours.medianMs)} vs onnxruntime-web ${ms2(b.theirs.medianMs)} per image = **${ratio(b.ratio)}** ${verdict}; warm-up ${ms2(b.ours.warmupMs)} vs ${ms2(b.theirs.warmupMs)}.`;
  });
}

/** What the breakdown says for one backend: each kind of layer's cost in each engine, computed from the figures. */
function peerCostLines(b: PeerSection['backends'][number]): string[] {
  const at = (v: string) => b.breakdown?.find((x) => x.variant === v);
  const shipped = at('shipped');
  const relu = at('relu-for-hardswish');
  const noSe = at('no-squeeze-excite');
  if (!shipped || !relu || !noSe || !b.ours || !b.theirs) return [];
  const part = (cost: 'oursCostMs' | 'theirsCostMs', total: number) => {
    const hs = relu[cost] ?? 0;
    const se = noSe[cost] ?? 0;
    return { hs, se, rest: total - hs - se, total };
  };
  const o = part('oursCostMs', shipped.oursMedianMs);
  const t = part('theirsCostMs', shipped.theirsMedianMs);
  const pct = (x: number, total: number) => `${Math.round((100 * x) / total)}%`;
  const compare = (what: string, a: number, c: number) =>
    `- ${what}: ours ${ms2(a)} (${pct(a, o.total)} of its time), theirs ${ms2(c)} (${pct(c, t.total)})${Math.abs(a - c) < 1 ? ': about the same' : a < c ? ': **ours is faster**' : ': **ours is slower**'}.`;
  const verdict =
    b.ratio === undefined
      ? ''
      : b.ratio <= 1
        ? `Goal met on ${b.backend}: ours is ${ratio(b.ratio)} theirs (paired ${ratio(b.pairedRatio)}).`
        : `Ours is slower on ${b.backend}: ${ratio(b.ratio)} theirs (paired ${ratio(b.pairedRatio)}); the rows above say which layers the gap is in.`;
  return [
    '',
    `On ${b.backend} (costs: the median over rounds of that round's shipped − variant, each engine on its own; on a shared 2-core machine a ms or two either way is noise). ${verdict}`,
    '',
    compare('hard-swish (shipped − the ReLU variant)', o.hs, t.hs),
    compare('squeeze-excite (shipped − the variant without it)', o.se, t.se),
    compare('the rest (convolutions, depthwise convolutions, residual adds, the final pool)', o.rest, t.rest),
    `- warm-up: ours' first pass ${ms2(b.ours.warmupMs)} after a ${ms(b.ours.loadMs)} load; theirs ${ms2(b.theirs.warmupMs)} after a ${ms(b.theirs.loadMs)} session create${b.theirs.runtimeStartMs ? `, and the first session of the page also starts onnxruntime's wasm runtime (${ms(b.theirs.runtimeStartMs)}; the app's tfjs backend was already running)` : ''}.`,
  ];
}

/** Where the time goes: the breakdown table, what it says, and why (how each engine runs these layers). */
function peerFindings(p: PeerSection): string[] {
  const table = peerBreakdownTable(p);
  if (!table) return [];
  return [
    '',
    '### Where the time goes',
    '',
    "Two variants of the network with one kind of layer swapped out (workers/bench-variants.ts; the same weights, built by each engine's own path: the app's tfjs builder, and the ONNX export), each a fresh copy in both engines, timed in the same rounds as the shipped network (every round runs each of them once in each engine, the order turning). What a variant saves against the shipped network is what those layers cost that engine. These variants are not the shipped network: only their timings mean something.",
    '',
    markdownTable(table),
    ...p.backends.flatMap(peerCostLines),
    '',
    'How each engine runs these layers (their sources, and what the variants above measure):',
    '',
    '- **Layout and convolutions.** tfjs\'s wasm backend keeps maps NHWC and runs every convolution, depthwise included, through XNNPACK, with the bias and a ReLU fused in. onnxruntime-web\'s wasm build runs the ONNX graph NCHW on its CPU execution provider (MLAS kernels), Conv+ReLU fused by its graph optimiser; its web build has no XNNPACK execution provider (asking for `xnnpack` fails with "backend not found"), so both engines run the same arithmetic with different kernel libraries.',
    "- **Hard-swish.** XNNPACK's fused activations are clamps, so the app writes hard-swish as four element-wise tfjs kernels after the conv (add 3, relu6, × 1/6, × x: workers/models/activations.ts), each a full pass over the map and a new buffer. onnxruntime runs `HardSwish` as one kernel, but also as a pass of its own after the conv: MLAS's conv can end in ReLU, leaky ReLU, clip, tanh, sigmoid or hard-sigmoid (MLAS_ACTIVATION_KIND), not hard-swish. Where ours could still gain: one fused hard-swish kernel (a custom tfjs kernel, or fewer passes) instead of four.",
    '- **Squeeze-excite.** Ours: a mean over the map, two small fused matMuls, hard-sigmoid (three element-wise kernels) and a broadcast multiply, all NHWC. Theirs: `GlobalAveragePool`, two 1×1 `Conv`s, `HardSigmoid` and a broadcast `Mul` over NCHW.',
    "- **Warm-up.** tfjs's first pass creates the XNNPACK operators (packing each conv's weights) and allocates its buffers; onnxruntime's session create optimises the graph and pre-packs the weights, and its first run sets up its memory arena.",
  ];
}

/** docs/performance.md's peer-engine section: how it is measured, the table, and where the time goes. */
function peerMarkdown(p: PeerSection): string[] {
  return [
    '## Peer engine: ours vs onnxruntime-web',
    '',
    `The same network in two engines, in the same Chromium page, on the same input: the shipped ${p.model} (MobileNetV3-Small) through the app's tfjs path, and the same weights exported to ONNX (\`npm run models:onnx\`, scripts/lib/mobilenetv3-small-onnx.ts: opset 17, NCHW, ${(p.onnxBytes / 1e6).toFixed(1)} MB of float32) in onnxruntime-web, the engine under Transformers.js. Measured ${p.date.slice(0, 16).replace('T', ' ')} UTC. onnxruntime-web is a devDependency for this benchmark only; the app stays on tfjs.`,
    '',
    "- **Ours**: the app's test build (`?backend=…&catalog=none`); in its inference worker `benchMemberOpen` (workers/bench-member.ts) loads a fresh copy of the member with the app's own loader (loadBackbone, from the bytes the worker already holds), prepares one fixed input with the app's preprocessing (a seeded random 224×224 RGB image through toModelInput), and times the first pass (**warm-up**); each round then times one `features()` pass and its read-back (`data()`).",
    `- **Theirs**: onnxruntime-web's ESM build and its .wasm, served from node_modules under /__peer/ by Playwright routes (nothing from a CDN; the Service Worker is blocked in this context so the routes see every request), run on the same page's main thread with the same input values transposed to NCHW; \`graphOptimizationLevel: 'all'\`. Its first session also starts its wasm runtime (**runtime start**, shown apart: the app's tfjs backend had already started); **load** is a second session's \`InferenceSession.create\` on the bytes, **warm-up** its first \`run\`, then one \`run\` (output read back) per round.`,
    `- The page is ${p.crossOriginIsolated ? '' : 'not '}cross-origin isolated, so ${p.crossOriginIsolated ? 'each engine may use wasm threads' : 'both engines run one wasm thread with SIMD (`ort.env.wasm.numThreads = 1`, and tfjs cannot start threads without SharedArrayBuffer)'}. Rounds alternate which engine goes first; **paired** is the median over rounds of that round's ours ÷ theirs. **features cosine** compares the two engines' outputs for the input in the page (the unit test tests/unit/peer-onnx.test.ts holds it ≥ 0.9999 in Node).`,
    '- WebGPU is measured only where the adapter is a real GPU: on a software one (SwiftShader) it says so instead.',
    '',
    markdownTable(peerTable(p)),
    ...peerFindings(p),
  ];
}

/** Verdicts computed from the figures (the doc's summary). */
function summaryLines(r: Results): string[] {
  const out: string[] = [];
  if (r.model) {
    for (const b of r.model.backends) {
      if (!b.ok) {
        out.push(`- **${b.requested}**: did not start (${b.error}).`);
        continue;
      }
      const raw = b.raw && 'medianMs' in b.raw ? b.raw.medianMs : undefined;
      const queries = (b.app ?? []).map(
        (q) =>
          `${q.photos} photos ${ms(q.medianMs)} = ${ratio(q.ratioToRaw)} raw${q.ratioToRawOnPhoto === undefined ? '' : `, **${ratio(q.ratioToRawOnPhoto)}** raw on that photo ${q.ratioToRawOnPhoto <= 1.25 ? '(≤ 1.25×: met)' : '(over 1.25×)'}`}`,
      );
      const mem = b.memory
        ? `; tensors ${b.memory.tensorGrowth === 0 ? 'flat' : `${b.memory.tensorGrowth > 0 ? '+' : ''}${b.memory.tensorGrowth}`}${b.memory.gpuBytesGrowth !== undefined ? `, GPU bytes ${b.memory.gpuBytesGrowth === 0 ? 'flat' : `${b.memory.gpuBytesGrowth > 0 ? '+' : ''}${b.memory.gpuBytesGrowth} B`}` : ''} over the measured rounds`
        : '';
      out.push(
        `- **${b.requested}**: ready in ${ms(b.load?.toReadyMs)} from cache (warm-up ${ms(b.load?.warmupMs)}); raw models ${raw === undefined ? 'not measured (bench API not wired)' : ms(raw)}; whole query: ${queries.join(', ')}${mem}.`,
      );
    }
    for (const b of r.model.backends) {
      const now = (b.app ?? []).find((q) => q.photos === '3024×4032');
      const before = (b.app ?? []).find((q) => q.photos.startsWith('3024×4032 decoded as before'));
      if (b.ok && now && before)
        out.push(
          `- 12 MP camera photo on ${b.requested}, decoded straight at about 1024 px (ImageDecoder, the JPEG decoder's own scaling): page + transfer ${ms(now.pageMedianMs)}, whole query ${ms(now.medianMs)} = ${ratio(now.ratioToRaw)} raw, **${ratio(now.ratioToRawOnPhoto)}** raw on that photo; decoded in full then shrunk as before #24, in the same run: page + transfer ${ms(before.pageMedianMs)}, whole query ${ms(before.medianMs)} = ${ratio(before.ratioToRaw)} raw, ${ratio(before.ratioToRawOnPhoto)} raw on that photo.`,
        );
    }
    for (const b of r.model.backends) {
      const parts = b.ok && !b.keptFrom ? Object.entries(b.load?.warmupByPartMs ?? {}) : [];
      if (parts.length) out.push(`- warm-up on ${b.requested}, by part (worker's own timing): ${parts.map(([part, t]) => `${part} ${ms(t)}`).join(', ')}.`);
    }
    const threads = threadsLine(r.model.backends);
    if (threads) out.push(`- ${threads}`);
    const kept = r.model.backends.filter((b) => b.keptFrom);
    if (kept.length)
      out.push(
        `- Not re-measured in this run (\`--backends\`), figures from ${[...new Set(kept.map((b) => b.keptFrom!.slice(0, 10)))].join(', ')}: ${kept.map((b) => b.requested).join(', ')}.`,
      );
    const c = r.model.choice;
    if (c && 'error' in c) out.push(`- Backend chosen by the app: not measured (${c.error}).`);
    else if (c)
      out.push(
        `- Backend chosen by the app itself on a fresh profile: **${c.backend}** (${c.how}: “${c.reason}”), choosing took ${ms(c.choiceMs)}; first visit ready in ${ms(c.firstVisitReadyMs)} (download included; its next frame came ${ms(c.firstVisitFrameMs)} later); the next visit ${c.secondVisit.how === 'remembered' ? 'reused the remembered choice' : `was ${c.secondVisit.how}`} (${c.secondVisit.backend}) and was ready in ${ms(c.secondVisit.readyMs)} (next frame ${ms(c.secondVisit.frameMs)} later). Timings behind it: ${c.details
          .split('\n')
          .filter((l) => /^(GPU|Measured):/.test(l))
          .join('; ')}.`,
      );
  }
  if (r.peer) out.push(...peerSummary(r.peer));
  if (r.download)
    out.push(
      `- Download: first search needs ${kb(r.download.firstSearch.webgpu.gzip)} gzip on WebGPU (${kb(r.download.firstSearch.wasm.gzip)} on WASM), almost all of it model weights; a 10,000-item catalog adds ${kb(r.download.catalog10k.totalGzipBytes)} gzip.`,
    );
  if (r.search) {
    const row = r.search.rows.find((x) => x.n === 10_000 && x.dimension === r.search!.embedderDimension) ?? r.search.rows[0];
    if (row)
      out.push(
        `- Search: ${row.n.toLocaleString('en')} items at d=${row.dimension} take ${row.typedArrayMsPerQuery.toFixed(1)} ms per query (typed-array scan, Node).`,
      );
    const b = r.search.browser;
    if (b) {
      const firsts = b.queries.map((q) => q.firstMs);
      const agains = b.queries.map((q) => q.againSearchMs);
      out.push(
        `- A ${b.items.toLocaleString('en')}-item partitioned catalog in the app (${b.backend}, localhost): ${(b.bytesBeforeFirstResults / 1e6).toFixed(1)} MB before the first results, which come ${Math.round(Math.min(...firsts))}–${Math.round(Math.max(...firsts))} ms after the photo (the refined answer ${Math.round(Math.min(...b.queries.map((q) => q.fullMs)))}–${Math.round(Math.max(...b.queries.map((q) => q.fullMs)))} ms); the same search again ${Math.round(Math.min(...agains))}–${Math.round(Math.max(...agains))} ms.`,
      );
    }
  }
  if (r.soak && 'pass' in r.soak)
    out.push(
      `- Soak (${r.soak.queries} searches, ${r.soak.backend}): **${r.soak.pass ? 'pass' : 'FAIL'}**: tensors ${r.soak.tensorGrowth === 0 ? 'flat' : `${r.soak.tensorGrowth > 0 ? '+' : ''}${r.soak.tensorGrowth}`}, last ${r.soak.window} ÷ first ${r.soak.window} = ${r.soak.slowdown.toFixed(2)}×.`,
    );
  else out.push('- Soak: not run in this measurement (`npm run bench -- --soak`).');
  out.push(indexerLine(r.indexer));
  return out;
}

export function consoleReport(r: Results): string {
  const out: string[] = [];
  out.push(`Lookalike benchmarks — ${r.date}`);
  out.push(...machineLines(r.machine).map((l) => l.replace(/\*\*/g, '')));
  if (r.download) {
    const t = downloadTables(r.download);
    out.push('', 'DOWNLOAD', consoleTable(t.files), '', consoleTable(t.totals), '', consoleTable(t.catalog));
  }
  if (r.model) {
    out.push(
      '',
      `MODEL (medians; ready = navigation → models warmed, with the caches warm so nothing is downloaded; ratio = app query ÷ raw models, target ≤ 1.25×)`,
      consoleTable(modelTable(r.model)),
      '',
      consoleTable(breakdownTable(r.model)),
    );
  }
  if (r.peer)
    out.push(
      '',
      `PEER ENGINE (${r.peer.model} features on one ${r.peer.inputSize}×${r.peer.inputSize} input, same page, interleaved rounds; ours = the app's tfjs, theirs = onnxruntime-web)`,
      consoleTable(peerTable(r.peer)),
    );
  const peerBreakdown = r.peer && peerBreakdownTable(r.peer);
  if (peerBreakdown) out.push('', 'PEER ENGINE, WHERE THE TIME GOES (medians; cost = shipped − variant)', consoleTable(peerBreakdown));
  if (r.search) out.push('', `SEARCH (bench/search.json, Node, ${r.search.queries} queries, k=${r.search.k})`, consoleTable(searchTable(r.search)));
  out.push('', 'SOAK', ...soakLines(r.soak).map((l) => l.replace(/\*\*/g, '')));
  const x = r.indexer;
  out.push('', 'INDEXER', indexerLine(x).replace(/\*\*/g, '').replace(/^- /, ''));
  if (x && !('skipped' in x))
    out.push(
      consoleTable(indexerTable(x)),
      '',
      `decoding alone (sharp, one after another): ${x.decodeAloneMsPerImage.toFixed(1)} ms/image${x.decodeAloneCpuMsPerImage !== undefined ? ` (CPU ${x.decodeAloneCpuMsPerImage.toFixed(1)} ms)` : ''}; inference alone in one thread by images per call:`,
      consoleTable(indexerSweepTable(x)),
      `largest difference between the single-thread and pool embeddings: ${x.maxVectorDifference.toExponential(1)}`,
    );
  out.push(
    '',
    `durations: ${Object.entries(r.durationsMs)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} s`)
      .join(', ')}`,
  );
  return out.join('\n');
}

function indexerSection(x: Results['indexer']): string[] {
  if (!x || 'skipped' in x) return [x ? `Not measured: ${x.skipped}.` : 'Not measured in this run (`npm run bench -- --only indexer`).'];
  const { pool } = rates(x);
  const best = Math.min(...x.batchSweep.map((b) => b.cpuMsPerImage ?? b.msPerImage));
  return [
    `Measured ${x.date.slice(0, 16).replace('T', ' ')} UTC: \`indexCatalog\` (scripts/lib/catalog-indexer.ts) on the same ${x.photos.count} photos from ${x.photos.source}, each run into a fresh output folder (thumbnails and the state file included), in one run, in the order single, pool, pool, single, so a load that drifts during the runs weighs on both alike. The rate counts from the first image embedded to the last.`,
    '',
    '- **single thread**: the models in the main thread, one image per inference call, decoding and thumbnails awaited with it (`--workers 0`, the indexer before #24).',
    `- **pool**: worker threads (scripts/lib/embed-pool.ts, embed-worker.ts), each loading tfjs-wasm and the models once; the main thread reads, hashes and decodes (sharp, on libuv's threads) and writes thumbnails while the workers infer, each kept two batches ahead; ${x.runs.find((r) => r.workers > 0)?.batchSize ?? '?'} images per inference call (\`Embedder.embedBatch\`). Default workers: \`os.availableParallelism()\`.`,
    '',
    markdownTable(indexerTable(x)),
    '',
    `Pool ÷ single thread (means of their runs): **${ratio(x.speedup)}**, ${pool.toFixed(1)} images/s (target ${x.target}: ${pool >= x.target ? 'met' : '**not met**'}). The two runs give the same catalog (items in input order, whatever order the workers finish in); ${x.maxVectorDifference === 0 ? 'their float32 embeddings are identical, bit for bit, batched or not' : `their float32 embeddings differ by at most ${x.maxVectorDifference.toExponential(1)} (batching changes the float rounding)`}.${contention(x)}`,
    '',
    freeCoresRate(x)
      ? `**CPU ms/image** is the CPU time of the whole process (main thread, workers, libuv's threads) per image embedded, which other processes on the machine inflate far less than wall time: the pool's ${(x.poolCpuMsPerImage ?? x.runs[1]!.cpuMsPerImage!).toFixed(1)} ms means about **${freeCoresRate(x)!.toFixed(0)} images/s on ${x.cores} cores nothing else uses** (${x.cores} × 1000 ÷ ${(x.poolCpuMsPerImage ?? x.runs[1]!.cpuMsPerImage!).toFixed(1)}; an estimate: sharing the cores inflates CPU time somewhat (cache misses, context switches), while threads that do not overlap perfectly would give less).`
      : '',
    '',
    `Where the time goes: decoding alone (sharp, one image after another) costs ${x.decodeAloneMsPerImage.toFixed(1)} ms per photo${x.decodeAloneCpuMsPerImage !== undefined ? ` (${x.decodeAloneCpuMsPerImage.toFixed(1)} ms of CPU)` : ''}, against the inference below (both ensemble members, preprocessing and projection, in one thread; the CPU row is what the work costs, the wall row adds whatever else the shared cores ran meanwhile):`,
    '',
    markdownTable(indexerSweepTable(x)),
    '',
    `So inference is the limit: at ${best.toFixed(0)} ms${x.batchSweep.every((b) => b.cpuMsPerImage !== undefined) ? ' of CPU' : ''} per image a core gives about ${(1000 / best).toFixed(0)} images/s, and ${x.cores} cores about ${((1000 / best) * x.cores).toFixed(0)} images/s before decoding, thumbnails (the main thread's share, a few ms per image) and the load of whatever else shares the machine. Most of the inference is the convolutions (XNNPACK); batching amortises tfjs's per-op overhead (a few hundred ops per pass over both members), which is why several images per call are cheaper per image than one. tfjs-wasm's multi-threaded build is off under Node (\`WASM_HAS_MULTITHREAD_SUPPORT\` is false there, tensorflow/tfjs#3830; forced on, its threads fail to start because Emscripten starts them from \`blob:\` URLs, which Node's \`Worker\` refuses), so each worker runs the single-threaded SIMD build and the parallelism comes from the workers.`,
  ];
}

export function markdownReport(r: Results): string {
  const out: string[] = [];
  out.push(
    '# Performance',
    '',
    `<!-- Written by \`npm run bench\` (scripts/bench/bench.ts) from bench/results.json; edit the script, not this file. -->`,
    '',
    `Figures from \`${r.command}\` on ${r.date.slice(0, 10)}. The raw numbers are in [bench/results.json](../bench/results.json).`,
    '',
    '## How to run',
    '',
    '```sh',
    'npx vite build --logLevel warn && npm run build:test   # sizes from dist/, timings from the test build in dist-test/ (its benchmark hooks)',
    'npm run bench                        # download, model (webgpu, webgl, wasm as the app chooses it, wasm-threaded), peer engine, search, indexer: 8–12 minutes on this 2-core machine',
    'npm run bench -- --only peer         # ours vs onnxruntime-web on MobileNetV3-S (exports .cache/peer/mnv3s.onnx first when missing): under a minute',
    'npm run bench -- --soak              # the same plus the 500-search soak (5–10 more minutes)',
    'npm run bench -- --only soak         # one section; the others are kept from the last run',
    'npm run bench -- --only indexer      # the catalog indexer: worker pool vs single thread on 300 real photos (1–2 minutes)',
    'npm run bench -- --render            # only re-print the tables and rewrite this file from bench/results.json',
    'LOOKALIKE_SOAK=1 npx vitest run --project browser tests/browser/soak.test.ts   # the soak as a test',
    '```',
    '',
    "Options: `--only download,model,peer,search,soak,indexer`, `--backends webgpu,webgl,wasm,wasm-threaded` (the backends left out keep their last figures, marked; `wasm-threaded` is wasm with `?threads=on`, tfjs's threaded build even where the app would not choose it), `--rounds N` (measured rounds per backend), `--peer-rounds N` (the peer engine's rounds; its breakdown variants get half), `--peer-software-gpu` (the peer engine on WebGPU even on a software GPU, to check that path), `--soak-queries N`, `--soak-backend wasm|webgpu`, `--indexer-photos N` (default 300), `--indexer-workers N` (default: one per core), `--build` (build dist/ and dist-test/ first), `--reuse-search` (keep bench/search.json instead of re-running it), `--no-docs`.",
    '',
    '## Summary',
    '',
    ...summaryLines(r),
    '',
    '## Machine',
    '',
    ...machineLines(r.machine),
  );
  if (r.download) {
    const t = downloadTables(r.download);
    out.push(
      '',
      '## Download',
      '',
      'Sizes of the production build (`dist/`) and the shipped models; gzip at level 6 (what servers typically send). The page script is small; the worker bundle (tfjs core, the WebGL and CPU kernels, the graph runtime) is most of the code. The WebGPU backend is a separate chunk the worker imports only on WebGPU; the wasm backend fetches one `.wasm` (SIMD; the threaded SIMD build instead in a cross-origin isolated page on 4 cores or more). The Service Worker precaches every chunk and wasm binary on the first visit so the app works offline; models are cached as they are fetched (`?v=<sha256>`, cache-first).',
      '',
      markdownTable(t.files),
      '',
      markdownTable(t.totals),
      '',
      `A 10,000-item catalog at the shipped dimension, exact for the shards (\`shardByteLength\`/\`vectorsPerShard\` in src/shared/catalog-format.ts, 8 MiB shards), per-item JSON and thumbnail sizes and the shards' gzip ratio taken from the ${r.download.catalog10k.sample}:`,
      '',
      markdownTable(t.catalog),
    );
  }
  if (r.model) {
    const m = r.model;
    out.push(
      '',
      '## Model: load, warm-up, raw latency and the whole query',
      '',
      `Each backend in its own page of the built app (\`?backend=…&catalog=${m.catalog === 'none' ? 'none' : m.catalog}\`), after a first visit and a reload have filled the Service Worker cache, so the load below downloads nothing (only the network-first manifest.json). Medians.`,
      '',
      '- **ready**: navigation → "Ready on …" (page, worker start, backend start, models from cache, warm-up). **startup**: until the worker starts fetching models. **model load**: cached files → graphs built (InitInfo.loadMs without download). **warm-up**: the compile/first pass at the production shape (InitInfo.warmupMs).',
      "- **raw models**: the worker's `benchPredict` (workers/bench-api.ts): `embedder.run` — every ensemble member, heads, projection and the classification views the manifest asks for, read back — on one fixed 224×224 RGB tensor, no decode, no transfer, no search.",
      "- **app query**: the whole query as the shopper gets it, timed inside the page: the photo input's `change` → decode on the page (EXIF, ≤ 1024 px) → transfer to the worker → setPhoto → search → results rendered and the next frame painted. Photos: " +
        m.photoSets.map((s) => `${s.size} = ${s.label}`).join('; ') +
        '.',
      `- Rounds interleave one raw run with one query per photo size (${Object.entries(m.rounds)
        .map(([b, n]) => `${b}: ${n}`)
        .join(
          ', ',
        )} measured rounds after one unmeasured round). **ratio** is the median over rounds of that round's query ÷ that round's raw run, so the drift of a shared machine cancels (the ratio of the two medians is in results.json as ratioOfMedians). **tensors Δ / GPU bytes Δ**: the worker's tfjs counters after the measured rounds minus before (all photos of one size are the same shape, so pools should not grow).`,
      m.catalog === 'none'
        ? '- No catalog is open here (with one, the app runs the object detector after every photo, which on SwiftShader costs tens of seconds per photo and would queue before the next query). The catalog search itself is in the next section and the soak: a few ms per query on 10k items.'
        : `- Catalog: ${m.catalog}.`,
      '',
      markdownTable(modelTable(m)),
      '',
      'Where the whole query\'s time goes (worker figures from the status line; "page + transfer" is the rest: decoding the photo, sending it, rendering the results). "raw" is the models on a random 224×224 tensor, which opens no second view; "raw on that photo" is the models on the query\'s own photo already shrunk to 224×224, timed right after the query (benchPredict `fromPhoto`): the same views open (a clothing photo is classified again from its centre crop, a second pass), so "÷ raw on that photo" is what the app adds around the models — the issue\'s target, ≤ 1.25×:',
      '',
      markdownTable(breakdownTable(m)),
    );
    const failed = m.backends.filter((b) => !b.ok);
    if (failed.length) out.push('', ...failed.map((b) => `- ${b.requested} did not run: ${b.error}`));
    if (m.firstVisit)
      out.push(
        '',
        `First visit on a fresh profile (models downloaded from the local preview server, wasm): ready in ${ms(m.firstVisit.firstVisitReadyMs)}; the reload with the Service Worker in control: ${ms(m.firstVisit.reloadReadyMs)}.`,
      );
    const c = m.choice;
    out.push(
      '',
      '## Backend choice',
      '',
      "Without `?backend=` (or the widget's `backend` attribute) the app measures which backend is fastest on this device, on the first visit and again whenever the browser (user agent), the GPU (WebGPU adapter or WebGL renderer description) or the ensemble changes; the choice is remembered in IndexedDB (`lookalike-backend-choice`, workers/backend-memory.ts). How (workers/backend-choice.ts):",
      '',
      '- **wasm first**: the real ensemble is loaded, warmed up and timed for up to 3 warm passes (every member, heads, projection, read back), about a second.',
      "- **then the GPU backend** (WebGPU where an adapter exists, else WebGL) gets 4 s in all (`GPU_BUDGET_MS`): first the ensemble's smallest member alone, warmed up and timed once; if that alone is over 1.5× wasm's whole ensemble, the GPU is clearly slower and is dropped; else the whole ensemble is warmed up and timed. Over budget, it is abandoned: the load is aborted (its tensors freed), its device destroyed, its backend removed. The fastest median wins and keeps its warm models (nothing is loaded twice).",
      '- **Software GPUs are measured like any other** (never assumed fast or slow); they are only named as such (WebGPU `isFallbackAdapter` or an adapter/renderer naming SwiftShader, llvmpipe, WARP…), so the badge can say "wasm · faster than this software GPU". The badge\'s tooltip lists the timings.',
      "- **Cost on a software GPU**: SwiftShader compiles WebGPU shaders in the browser's GPU process, and that work cannot be cancelled from the page (destroying the device, even closing the page, leaves it running). Asking for one member first limits what is queued: on this machine the GPU process kept compiling for about 30 s after the app was ready on the first visit (45 s and more when the whole ensemble was queued), on about half a core. Meanwhile the GPU process answers little else: `requestAdapter` waited for it (so a visit with a remembered choice waits at most 1 s for the GPU to name itself, `GPU_PROBE_MS`, and otherwise trusts the remembered choice), and in one of three runs here a frame of the first page waited 25 s for it. Later visits measure nothing.",
      '',
      c && !('error' in c)
        ? `Measured here (${m.date.slice(0, 10)}, fresh profile, \`?catalog=none\`): **${c.backend}** (${c.how}: “${c.reason}”); choosing took ${ms(c.choiceMs)}; first visit ready in ${ms(c.firstVisitReadyMs)} (download from the local server included; its next frame came ${ms(c.firstVisitFrameMs)} later); the next visit ${c.secondVisit.how === 'remembered' ? 'reused the remembered choice' : `was ${c.secondVisit.how}`} and was ready in ${ms(c.secondVisit.readyMs)} (next frame ${ms(c.secondVisit.frameMs)} later). ${c.details
            .split('\n')
            .filter((l) => /^(GPU|Measured):/.test(l))
            .join('. ')}.`
        : `Not measured in this run${c ? ` (${c.error})` : ''}.`,
      '',
      '## Threads',
      '',
      "`npm start` and `npm run dev` send two headers with every file, so the app is cross-origin isolated and `SharedArrayBuffer` exists: `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: credentialless` (vite.config.ts `ISOLATION_HEADERS`). There the wasm backend may load tfjs's threaded SIMD build, which runs half the cores (tfjs's own count); the app takes it where that is two threads or more (4 cores and up: `?threads=auto`, the default), since on this 2-core machine both alternatives were measured slower than the plain SIMD build (2026-12-07, wasm, 15 rounds, the photos of the table above): the threaded build on its one thread, raw models 122 against 110 ms and whole queries 320 against 280 ms (240×320) and 537 against 433 ms (12 MP); and with its cap lifted to two threads, raw models 105 against 127 ms but whole queries 362 against 330 ms and 582 against 532 ms, since with both cores spinning for the models the page's decoding and drawing waited. `?threads=on` forces the threaded build (the `wasm-threaded` row), `?threads=off` the plain one. The bundler keeps the build's thread script self-contained under minification (scripts/lib/vite-wasm-threads.ts). The badge's tooltip says how many threads run, or why only one (“2 cores: the single-threaded build is faster here”, “the page is not cross-origin isolated”, “threads not allowed here”).",
      '',
      '- **Static hosts**: send the same two headers with every file of the app. Netlify and Cloudflare Pages read `public/_headers` (copied into the build). nginx: `add_header Cross-Origin-Opener-Policy same-origin always; add_header Cross-Origin-Embedder-Policy credentialless always;`. Apache: `Header always set Cross-Origin-Opener-Policy "same-origin"` and `Header always set Cross-Origin-Embedder-Policy "credentialless"`. Without them the app works as before, on one thread.',
      '- **`credentialless`, not `require-corp`**: with `require-corp` every cross-origin picture would need its host to send `Cross-Origin-Resource-Policy`, which catalogs on other hosts do not; `credentialless` loads them without cookies. Browsers that do not know `credentialless` (Safari today) are simply not isolated and run one thread.',
      "- **The widget** runs threaded only on a cross-origin isolated shop page **and** with its `wasm-threads` attribute: the threaded build starts its threads from `blob:` URLs, which the widget's documented CSP (`worker-src 'self'`, docs/embedding.md) refuses, so a shop opts in when its CSP allows `blob:` workers and scripts.",
      '',
      threadsLine(m.backends) ?? 'Threaded and single-threaded wasm were not both measured in this run.',
      '',
      '## Photo decode',
      '',
      'A camera JPEG larger than 1024 px is decoded with WebCodecs\' `ImageDecoder` asked for about 1024 px (`desiredWidth`/`desiredHeight`): the JPEG decoder then scales in the DCT (a 12 MP 3024×4032 photo comes out 756×1008) instead of decoding 12 MP and shrinking them; the frame carries the EXIF orientation (`VideoFrame.rotation`/`flip`), which `createImageBitmap(frame)` applies. Browsers without it (or whose frames carry no rotation), other formats, and files it refuses take the previous path (`createImageBitmap` with resize options, which Chromium decodes in full first). In the worker, a photo that large is halved (2×2 box averages) and resized once per view and input size for every member (`resizeForModel` in Embedder.compute) instead of once per member, with the same model inputs to the bit (tests/unit/preprocess.test.ts). What is left of the 12 MP gap (whole query 1.95× the models on that photo here, against 1.10× for 240×320 photos) is about 90 ms more in the worker (resizing a 756×1008 photo for the whole-photo view and again for the clothing crop view, on one wasm thread) and about 65 ms more on the page (the JPEG decoder still reads all 12 MP of entropy-coded data, however small it is asked to decode). The table above has the 12 MP photos both ways in the same run ("decoded as before #24").',
    );
  }
  if (r.peer) out.push('', ...peerMarkdown(r.peer));
  if (r.search) {
    const s = r.search;
    out.push(
      '',
      '## Search',
      '',
      `From \`${s.command}\` (Node, ${s.tfjsBackend} tfjs backend, ${s.queries} queries, k=${s.k}, random unit vectors in the int8 shard format; the shipped embedding dimension is ${s.embedderDimension}). "typed-array" is the app's exact search (workers/search/exact-search.ts); "% of a plain byte scan" compares it with a loop that only sums the same int8 bytes, measured in the same run.`,
      '',
      markdownTable(searchTable(s)),
      ...partitionedMarkdown(s.partitioned),
      ...millionMarkdown(s.browser),
      ...annMarkdown(s.ann),
    );
  }
  out.push('', '## Soak', '', ...soakLines(r.soak));
  out.push('', '## Catalog indexer', '', ...indexerSection(r.indexer));
  out.push(
    '',
    '## Reading these figures',
    '',
    '- On this machine WebGPU and WebGL are SwiftShader: a GPU emulated on two shared CPU cores. WebGPU runs the models in seconds and WASM in about a hundred milliseconds, the opposite of a real phone or laptop GPU. Compare ratios (app ÷ raw, last ÷ first), growth (tensors, GPU bytes) and sizes, which do not depend on the GPU; re-run `npm run bench` on a machine with a GPU for absolute times.',
    '- The overhead target is app query ≤ 1.25× the raw models. The page-side part is mostly decoding the photo: a 12 MP camera JPEG costs far more to decode than the models take on a fast backend, so that ratio is the one to watch on real devices.',
    '- The hooks: `workers/bench-api.ts` sets `benchPredict(n, size?, warmRuns?)`, `benchMemory()` and, for the peer engine, `benchMemberOpen(id, variant?)` / `benchMemberRun(n)` / `benchMemberClose()` (workers/bench-member.ts) as `self.lookalikeBench` in the worker, which the benchmark calls through Playwright (`page.workers()`). Only the test build (`npm run build:test`, dist-test/) has them; the production build leaves them out.',
    '',
    `Durations of this run: ${Object.entries(r.durationsMs)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(0)} s`)
      .join(', ')}.`,
    '',
  );
  return out.join('\n');
}
