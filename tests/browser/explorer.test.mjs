// Browser tests of the explorer page (run by tests/browser/run.sh).
//
// Starts a regtest network of its own on free 127.0.0.1 ports: a tracker,
// two nodes that do not mine (A, which Alice's wallet service talks to, and
// B; blocks come from `generate` through pickaxe-cli) and, for the last
// steps, pickaxe-adversary. In headless Chromium it opens the explorer from
// the wallet page, makes a fork with the nodes' partition switch and
// watches it: two branches, the reorg, the losing branch pruned; then an
// adversary's refused block in the feed and in the tree with its rule, and
// the details of a refused and a valid block. A screenshot of each step goes
// to build/browser-artifacts/explorer-*.png.
//
// Each step prints "ok - NAME" or "FAIL - NAME: why"; the last line is
// "N passed, N failed", and the exit status is non-zero on any failure.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  ART, CLI, chromium, freePair, getJson, setLogPrefix, setupFailed, finish, start, step as runStep, stopAll, until,
} from './harness.mjs';

setLogPrefix('explorer-');
fs.mkdirSync(path.join(ART, 'logs'), { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pickaxe-explorer-'));

let page;

// ---- helpers ----------------------------------------------------------------

function cli(ep, ...args) {
  const out = execFileSync(CLI, ['--network', 'regtest', '--node', ep, '--json', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  return JSON.parse(out.toString());
}

async function shot(name) {
  await page.screenshot({ path: path.join(ART, `explorer-${name}.png`), fullPage: true });
}

// A failed step: a screenshot of the page.
async function failShot(name) {
  if (page) await page.screenshot({ path: path.join(ART, `FAIL-explorer-${name}.png`), fullPage: true }).catch(() => {});
}

const step = (name, fn) => runStep(name, fn, failShot);

const count = (sel) => page.locator(sel).count();
const text = async (sel) => (await page.locator(sel).first().textContent()) || '';

// ---- the network ---------------------------------------------------------------

const taken = new Set();
const trackerPort = await freePair(taken);
const aPort = await freePair(taken);
const bPort = await freePair(taken);
const walletPort = await freePair(taken);
const trackerEp = `tcp://127.0.0.1:${trackerPort}`;
const aEp = `tcp://127.0.0.1:${aPort}`;
const bEp = `tcp://127.0.0.1:${bPort}`;
const base = `http://127.0.0.1:${walletPort}`;
const nodeArgs = (name, port) => ['pickaxe-node', '--network', 'regtest', '--no-mine', '--tracker', trackerEp,
  '--listen', `127.0.0.1:${port}`, '--data-dir', path.join(tmp, name)];

let context;
const requests = [];
const pageErrors = [];

try {
  start('tracker', ['pickaxe-tracker', '--network', 'regtest', '--listen', `127.0.0.1:${trackerPort}`]);
  start('a', nodeArgs('a', aPort));
  start('b', nodeArgs('b', bPort));
  start('wallet', ['pickaxe-wallet', '--network', 'regtest', '--node', aEp, '--tracker', trackerEp,
    '--http', `127.0.0.1:${walletPort}`, '--keystore', path.join(tmp, 'alice.keystore')]);
  const alice = await until(() => getJson(`${base}/wallet/address`).then((r) => r.body.address), 10000, 'the wallet');
  await until(() => cli(aEp, 'status').peers >= 1 && cli(bEp, 'status').peers >= 1, 20000, 'A and B peers');
  const aId = cli(aEp, 'status').node_id;
  cli(aEp, 'generate', '3', '--to', alice);
  await until(() => cli(bEp, 'status').height === 3, 20000, 'B at height 3');

  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));

  await step('the wallet page links to the explorer, which draws the tree', async () => {
    await page.goto(`${base}/`);
    await page.click('#explorer-link');
    await page.waitForURL(`${base}/explorer`);
    await page.locator('body[data-drawn="1"]').waitFor({ timeout: 10000 });
    await page.locator('#tree g.px-node[data-height="3"][data-best="1"]').waitFor({ timeout: 10000 });
    for (let h = 0; h <= 3; h++) {
      if ((await count(`#tree g.px-node[data-height="${h}"][data-best="1"]`)) !== 1) throw new Error(`no best block at ${h}`);
    }
    if ((await count('#tree g.px-tip')) !== 1) throw new Error('the tip is not marked');
    await until(async () => (await text('#running-line')).includes('honest chain'), 5000, 'the running line');
    await shot('01-tree');
  });

  let aTip;
  let bBranch;
  await step('a fork shows two branches, each with how long until it is pruned', async () => {
    // B stops hearing A, so A's next block stays A's own; B's block on the
    // same parent then reaches A by gossip with no more work than A's: a
    // side branch (a tie keeps the block seen first).
    cli(bEp, 'partition', aId);
    [aTip] = cli(aEp, 'generate', '1', '--to', alice).hashes;
    bBranch = cli(bEp, 'generate', '1').hashes; // B's own miner key: not A's block
    await until(() => cli(aEp, 'chaintips').length === 2, 20000, 'A holding two branch tips');
    const tips = cli(aEp, 'chaintips');
    if (tips[0].hash !== aTip || tips[1].hash !== bBranch[0] || tips[1].status !== 'valid-fork' ||
        tips[1].branchlen !== 1) {
      throw new Error(`chaintips ${JSON.stringify(tips)}`);
    }
    await page.locator(`#tree g.px-node[data-hash="${aTip}"][data-best="1"]`).waitFor({ timeout: 5000 });
    await page.locator(`#tree g.px-node[data-hash="${bBranch[0]}"][data-best="0"]`).waitFor({ timeout: 5000 });
    const prune = await text('#tree .px-prune');
    if (!/pruned in \d+/.test(prune)) throw new Error(`the side tip says "${prune}"`);
    await shot('02-two-branches');
  });

  await step('one more block on the side branch: the reorg is shown as it happens', async () => {
    const t0 = Date.now();
    const [b2] = cli(bEp, 'generate', '1').hashes;
    bBranch.push(b2);
    await page.locator('#reorg-banner:not(.d-none)').waitFor({ timeout: 10000 });
    const shownMs = Date.now() - t0;
    const banner = await text('#reorg-banner');
    if (!banner.includes('1 block left the best chain, 2 joined it')) throw new Error(`banner: "${banner}"`);
    await page.locator('#feed li[data-kind="reorg"]').waitFor({ timeout: 5000 });
    await page.locator(`#tree g.px-node[data-hash="${aTip}"][data-best="0"]`).waitFor({ timeout: 5000 });
    for (const h of bBranch) await page.locator(`#tree g.px-node[data-hash="${h}"][data-best="1"]`).waitFor({ timeout: 5000 });
    await page.waitForTimeout(300); // mid-move
    await shot('03-reorg');
    console.log(`# the reorg was on the page ${shownMs} ms after generate returned`);
  });

  await step('the losing branch is pruned and gone from the tree', async () => {
    cli(bEp, 'partition');
    cli(bEp, 'generate', '8');
    await page.locator('#feed li[data-kind="branch-pruned"]').waitFor({ timeout: 15000 });
    await until(async () => (await count('#tree g.px-node[data-best="0"]')) === 0, 10000, 'no side blocks left');
    if ((await count(`#tree g.px-node[data-hash="${aTip}"]`)) !== 0) throw new Error('the pruned block is still drawn');
    const tips = cli(aEp, 'chaintips');
    const pruned = tips.find((t) => t.status === 'pruned');
    if (!pruned || pruned.hash !== aTip || pruned.branchlen !== 1) throw new Error(`chaintips ${JSON.stringify(tips)}`);
    if (!(await text('#count-pruned')).startsWith('1 ')) throw new Error(await text('#count-pruned'));
    await shot('04-pruned');
  });

  await step("an adversary's refused block shows in the feed and in the tree with its rule", async () => {
    start('adversary', ['pickaxe-adversary', '--network', 'regtest', '--tracker', trackerEp,
      '--attacks', 'blk-bad-merkle', '--rate', '2', '--stats', path.join(tmp, 'adversary.json')]);
    const item = page.locator('#feed li[data-kind="block-refused"][data-reason="bad-txnmrklroot"]').first();
    await item.waitFor({ timeout: 30000 });
    const words = await item.textContent();
    if (!words.includes("the header's merkle root does not match the block's transactions")) throw new Error(`feed says "${words}"`);
    await page.locator('#tree g.px-refused[data-reason="bad-txnmrklroot"]').first().waitFor({ timeout: 10000 });
    await until(async () => (await text('#counts-blocks li[data-reason="bad-txnmrklroot"]')).length > 0, 5000, 'the count');
    await until(async () => !(await text('#run-blocks')).startsWith('0 '), 5000, 'the running line counting refusals');
    const acc = await text('#run-accepted');
    if (acc !== '0 accepted') throw new Error(`running line says "${acc}"`);
    await shot('05-refused');
  });

  await step('clicking a refused block opens its details with the rule in words', async () => {
    const g = page.locator('#tree g.px-refused[data-reason="bad-txnmrklroot"]').first();
    const hash = await g.getAttribute('data-hash');
    await g.dispatchEvent('click');
    await until(async () => (await text('#details-rule')).includes('merkle root does not match'), 5000, 'the rule');
    const d = await text('#details');
    if (!d.includes(hash) || !d.includes('claimed parent') || !d.includes('merkle root')) throw new Error(`details: ${d.slice(0, 200)}`);
    await page.locator('#details-txs tr[data-type="coinbase"]').waitFor({ timeout: 5000 });
    await shot('06-refused-details');
  });

  await step('clicking a valid block opens its header and transactions', async () => {
    const g = page.locator('#tree g.px-best[data-height="3"]').first();
    const hash = await g.getAttribute('data-hash');
    await g.dispatchEvent('click');
    await until(async () => (await text('#details')).includes(hash), 5000, 'the block');
    const d = await text('#details');
    if (!d.includes('best chain') || !d.includes('coinbase') || !d.includes('merkle root')) throw new Error(`details: ${d.slice(0, 200)}`);
    await shot('07-block-details');
  });

  await step('the charts have points', async () => {
    for (const id of ['chart-interval', 'chart-difficulty', 'chart-hashrate']) {
      if ((await count(`#${id} polyline`)) !== 1) throw new Error(`${id} is empty`);
    }
  });

  await step('no request left the machine', async () => {
    const away = requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('data:'));
    if (away.length) throw new Error(away.slice(0, 5).join(', '));
    if (!requests.some((u) => u.includes('/explorer/events?since='))) throw new Error('the page never polled the events');
  });

  await step('the page threw no script errors', async () => {
    if (pageErrors.length) throw new Error(pageErrors.join('; '));
  });
} catch (e) {
  setupFailed(e);
} finally {
  if (context) await context.close().catch(() => {});
  await stopAll();
  fs.rmSync(tmp, { recursive: true, force: true });
}

finish();
