// The explorer page's cost on a long chain: time to first draw and the cost
// of each update with BLOCKS blocks (default 10,000) on the chain.
//
//   node bench/explorer_bench.mjs [BLOCKS] [UPDATES]
//
// Starts a regtest node (no mining) and a wallet service on free
// 127.0.0.1 ports, makes BLOCKS blocks with `generate` (1000 a call), then
// in headless Chromium (playwright-core from build/browser/, as the browser
// tests install it) opens /explorer and measures:
//   - first draw: from navigation start to the tree drawn (the page's own
//     performance.now() when its first drawing ends), over RUNS page loads;
//   - the queries behind it: /explorer/tree and /explorer/events as the
//     page asks them, timed from here (HTTP through the wallet service and
//     ZeroMQ to the node);
//   - per update: UPDATES times, one block made with `generate`, and the
//     time from `generate` returning until the page has drawn the new tip,
//     plus the page's own time spent drawing (draw() alone).
// Prints the figures and one JSON line. Needs a built tree (make) and
// /usr/bin/chromium.

import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const BUILD = process.env.BUILD || 'build';
const require = createRequire(path.resolve(process.env.PW_DIR || `${BUILD}/browser`) + '/');
const { chromium } = require('playwright-core');
const BLOCKS = Number(process.argv[2] || 10000);
const UPDATES = Number(process.argv[3] || 20);
const RUNS = 5;
const CLI = `${BUILD}/pickaxe-cli`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pickaxe-explorer-bench-'));
const procs = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function freePair() {
  for (;;) {
    const p = await freePort();
    const ok = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return p;
  }
}

function start(args) {
  const log = fs.openSync(path.join(tmp, `${path.basename(args[0])}.log`), 'a');
  const c = spawn(path.join(BUILD, args[0]), args.slice(1), { stdio: ['ignore', log, log] });
  procs.push(c);
  return c;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const pct = (v, p) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * p))];

async function until(fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (e) { /* not yet */ }
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

let browser;
try {
  const nodePort = await freePair();
  const httpPort = await freePort();
  const ep = `tcp://127.0.0.1:${nodePort}`;
  const base = `http://127.0.0.1:${httpPort}`;
  start(['pickaxe-node', '--network', 'regtest', '--no-mine', '--listen', `127.0.0.1:${nodePort}`,
    '--data-dir', path.join(tmp, 'node')]);
  start(['pickaxe-wallet', '--network', 'regtest', '--node', ep, '--http', `127.0.0.1:${httpPort}`,
    '--keystore', path.join(tmp, 'w.keystore')]);
  await until(async () => (await fetch(`${base}/wallet/address`)).ok, 10000);
  const addr = (await (await fetch(`${base}/wallet/address`)).json()).address;
  const cli = (...a) => execFileSync(CLI, ['--network', 'regtest', '--node', ep, '--timeout', '300000', ...a],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const t0 = Date.now();
  for (let made = 0; made < BLOCKS; made += 1000) cli('generate', String(Math.min(1000, BLOCKS - made)), '--to', addr);
  const genS = (Date.now() - t0) / 1000;

  // The queries the page makes, timed from here.
  const time = async (url, n) => {
    const v = [];
    for (let i = 0; i < n; i++) {
      const a = performance.now();
      await (await fetch(url)).json();
      v.push(performance.now() - a);
    }
    return v;
  };
  const treeMs = await time(`${base}/explorer/tree?limit=30`, 50);
  const eventsMs = await time(`${base}/explorer/events?since=${BLOCKS - 300}&limit=1000`, 50);
  const pollMs = await time(`${base}/explorer/events?since=${BLOCKS}&limit=1000`, 50);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const first = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`${base}/explorer`);
    await page.waitForSelector('body[data-drawn="1"]', { timeout: 20000 });
    first.push(await page.evaluate(() => window.pxExplorer.stats.firstDrawMs));
  }
  await sleep(1000);
  const latency = [];
  for (let i = 0; i < UPDATES; i++) {
    const hash = execFileSync(CLI, ['--network', 'regtest', '--node', ep, 'generate', '1', '--to', addr]).toString().trim();
    const a = Date.now();
    await page.waitForSelector(`#tree g.px-tip[data-hash="${hash}"]`, { timeout: 10000 });
    latency.push(Date.now() - a);
    await sleep(200);
  }
  const s = await page.evaluate(() => window.pxExplorer.stats);
  const height = Number(JSON.parse(execFileSync(CLI, ['--network', 'regtest', '--node', ep, '--json', 'status'])).height);
  const result = {
    blocks: height,
    generate_s: genS,
    first_draw_ms: { median: median(first), max: Math.max(...first) },
    tree_query_ms: { median: median(treeMs), p90: pct(treeMs, 0.9) },
    events_300_ms: { median: median(eventsMs), p90: pct(eventsMs, 0.9) },
    events_poll_ms: { median: median(pollMs), p90: pct(pollMs, 0.9) },
    update_latency_ms: { median: median(latency), p90: pct(latency, 0.9), max: Math.max(...latency) },
    draw_ms: { mean: s.drawMsTotal / s.draws, max: s.drawMsMax, draws: s.draws },
  };
  console.log(`chain: ${height} blocks (generate took ${genS.toFixed(1)} s)`);
  console.log(`first draw: median ${result.first_draw_ms.median.toFixed(0)} ms, max ${result.first_draw_ms.max.toFixed(0)} ms (${RUNS} loads)`);
  console.log(`tree query (30 heights): median ${result.tree_query_ms.median.toFixed(1)} ms, p90 ${result.tree_query_ms.p90.toFixed(1)} ms`);
  console.log(`events (300 events): median ${result.events_300_ms.median.toFixed(1)} ms; empty poll: median ${result.events_poll_ms.median.toFixed(1)} ms`);
  console.log(`update (generate -> new tip drawn): median ${result.update_latency_ms.median} ms, p90 ${result.update_latency_ms.p90} ms, max ${result.update_latency_ms.max} ms (${UPDATES} blocks)`);
  console.log(`draw(): mean ${result.draw_ms.mean.toFixed(1)} ms, max ${result.draw_ms.max.toFixed(1)} ms over ${s.draws} draws`);
  console.log(JSON.stringify(result));
} finally {
  if (browser) await browser.close();
  for (const c of procs) c.kill('SIGTERM');
  await sleep(1000);
  fs.rmSync(tmp, { recursive: true, force: true });
}
