// Browser tests of the wallet page (run by tests/browser/run.sh).
//
// Starts a regtest network of its own on free 127.0.0.1 ports: a tracker,
// one node that does not mine (blocks come from the node's `generate` query,
// sent with pickaxe-cli), and two wallet services, Alice and Bob (and, for
// one step, a second node that is stopped with SIGSTOP). Then, in
// headless Chromium, it walks through what a person does with the page and
// saves a screenshot of each step in build/browser-artifacts/.
//
// Each step prints "ok - NAME" or "FAIL - NAME: why"; the last line is
// "N passed, N failed", and the exit status is non-zero on any failure.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  ART, CLI, chromium, freePair, getJson, setupFailed, finish, start, step as runStep, stop, stopAll, until,
} from './harness.mjs';

fs.rmSync(ART, { recursive: true, force: true });
fs.mkdirSync(path.join(ART, 'logs'), { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pickaxe-browser-'));

// ---- helpers ----------------------------------------------------------------

function generate(count, address) {
  execFileSync(CLI, ['--network', 'regtest', '--node', nodeEp, 'generate', String(count), '--to', address],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });
}

async function shot(page, name, fullPage = true) {
  await page.bringToFront();
  await page.screenshot({ path: path.join(ART, `${name}.png`), fullPage });
}

// A failed step: a screenshot of each page.
async function failShots(name) {
  for (const [who, p] of [['alice', alicePage], ['bob', bobPage]]) {
    if (p) await p.screenshot({ path: path.join(ART, `FAIL-${who}-${name}.png`), fullPage: true }).catch(() => {});
  }
}

const step = (name, fn) => runStep(name, fn, failShots);

// The address as addrNode shows it in a table (compact).
function shortAddrOf(a) {
  const sep = a.lastIndexOf('1');
  return a.slice(0, sep + 1 + 4);
}

async function text(page, selector) {
  return (await page.locator(selector).first().textContent()) || '';
}

// ---- the network ---------------------------------------------------------------

const taken = new Set();
const trackerPort = await freePair(taken);
const nodePort = await freePair(taken);
const alicePort = await freePair(taken);
const bobPort = await freePair(taken);
const trackerEp = `tcp://127.0.0.1:${trackerPort}`;
const nodeEp = `tcp://127.0.0.1:${nodePort}`;
const nodeArgs = ['pickaxe-node', '--network', 'regtest', '--no-mine', '--tracker', trackerEp,
  '--listen', `127.0.0.1:${nodePort}`, '--data-dir', path.join(tmp, 'node')];
const walletArgs = (who, port) => ['pickaxe-wallet', '--network', 'regtest', '--node', nodeEp,
  '--tracker', trackerEp, '--http', `127.0.0.1:${port}`, '--keystore', path.join(tmp, `${who}.keystore`)];

let context;
let alicePage;
let bobPage;
let alice;
let bob;
const aliceUrl = `http://127.0.0.1:${alicePort}/`;
const bobUrl = `http://127.0.0.1:${bobPort}/`;

async function cleanup() {
  if (context) await context.close().catch(() => {});
  await stopAll();
  fs.rmSync(tmp, { recursive: true, force: true });
}

try {
  start('tracker', ['pickaxe-tracker', '--network', 'regtest', '--listen', `127.0.0.1:${trackerPort}`]);
  start('node', nodeArgs);
  start('alice', walletArgs('alice', alicePort));
  start('bob', walletArgs('bob', bobPort));
  alice = (await until(() => getJson(aliceUrl + 'wallet/address').then((r) => r.body.address), 10000, "Alice's wallet"));
  bob = (await until(() => getJson(bobUrl + 'wallet/address').then((r) => r.body.address), 10000, "Bob's wallet"));
  await until(() => getJson(aliceUrl + 'wallet/balance').then((r) => r.status === 200), 10000, 'the node');

  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    // Two pages share one window; the one behind would never finish a CSS
    // transition (a modal's fade), so screenshots are taken without motion.
    reducedMotion: 'reduce',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const pageErrors = [];
  alicePage = context.pages()[0] || (await context.newPage());
  alicePage.on('pageerror', (e) => pageErrors.push(e.message));
  bobPage = await context.newPage();
  bobPage.on('pageerror', (e) => pageErrors.push(e.message));

  await step('keystores are created with mode 0600', async () => {
    for (const who of ['alice', 'bob']) {
      const mode = fs.statSync(path.join(tmp, `${who}.keystore`)).mode & 0o777;
      if (mode !== 0o600) throw new Error(`${who}'s keystore has mode ${mode.toString(8)}`);
    }
  });

  await step('the page loads: address, connection, genesis block, network', async () => {
    await alicePage.goto(aliceUrl);
    await until(async () => (await text(alicePage, '#address')) === alice, 10000, 'the address');
    await until(async () => (await text(alicePage, '#conn-text')) === 'connected', 10000, 'connected');
    await alicePage.locator('.px-block[data-height="0"]').waitFor({ timeout: 10000 });
    await until(async () => (await text(alicePage, '#net-height')) === '0', 10000, 'the network card');
    // The node serves no Stratum (pickaxe-node --stratum): the card says so.
    await until(async () => (await text(alicePage, '#net-stratum')) === 'off', 10000, 'Stratum off');
    const bal = await text(alicePage, '#balance-available');
    if (!bal.includes('0.00')) throw new Error(`balance shows "${bal}"`);
    await shot(alicePage, '01-alice-loaded');
  });

  await step('the Copy button copies the address and says so', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: aliceUrl.slice(0, -1) });
    await alicePage.click('#copy-address');
    await until(async () => (await text(alicePage, '#copy-address')) === 'Copied', 3000, '"Copied"');
    const viaApi = await alicePage.evaluate(() => navigator.clipboard.readText());
    if (viaApi !== alice) throw new Error(`the clipboard holds "${viaApi}"`);
  });

  await step('Copy works without navigator.clipboard (plain-HTTP pages)', async () => {
    await alicePage.evaluate(() => navigator.clipboard.writeText(''));
    await until(async () => (await text(alicePage, '#copy-address')) === 'Copy', 3000, 'the label back');
    // What a page served from a non-local name over HTTP sees.
    await alicePage.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }));
    await alicePage.click('#copy-address');
    await until(async () => (await text(alicePage, '#copy-address')) === 'Copied', 3000, '"Copied"');
    const buffer = await alicePage.evaluate(() => document.getElementById('copy-buffer').value);
    if (buffer !== alice) throw new Error('the fallback did not copy the address');
    await alicePage.reload();
    await until(async () => (await text(alicePage, '#address')) === alice, 10000, 'the address after a reload');
  });

  await step("mined coins appear in Alice's balance", async () => {
    generate(3, alice);
    await until(async () => (await text(alicePage, '#balance-available')).includes('150.00'), 15000, '150 coins');
    await alicePage.locator('.px-block[data-height="3"]').waitFor({ timeout: 10000 });
    await shot(alicePage, '02-alice-mined');
  });

  await step('"Send everything" fills what can be sent, without trailing zeros', async () => {
    await alicePage.click('#send-max');
    // 150 coins available, less the default fee of 0.0001.
    const v = await alicePage.inputValue('#amount');
    if (v !== '149.9999') throw new Error(`the amount field says "${v}"`);
    await alicePage.fill('#fee', '0.5');
    await alicePage.click('#send-max');
    const w = await alicePage.inputValue('#amount');
    if (w !== '149.5') throw new Error(`with a fee of 0.5 it says "${w}"`);
    await alicePage.fill('#fee', '0.0001');
    await alicePage.fill('#amount', '');
  });

  await step('the network card: one difficulty format, peers with id, endpoint and role', async () => {
    const diff = await text(alicePage, '#net-difficulty');
    if (!/^\d{1,3}(,\d{3})*\.\d{2}$/.test(diff)) throw new Error(`difficulty shown as "${diff}"`);
    const st = JSON.parse(execFileSync(CLI, ['--network', 'regtest', '--node', nodeEp, '--json', 'status'], { encoding: 'utf8' }));
    const you = await text(alicePage, '#net-peer-list [data-role="you"]');
    if (!you.includes(st.node_id) || !you.includes(`127.0.0.1:${nodePort}`) || !you.includes('your node')) {
      throw new Error(`the node's row says "${you}"`);
    }
    const tr = await text(alicePage, '#net-peer-list [data-role="tracker"]');
    if (!tr.includes(`127.0.0.1:${trackerPort}`) || !tr.includes('tracker')) throw new Error(`the tracker's row says "${tr}"`);
  });

  await step('a mistyped address is caught in the form', async () => {
    // Swap two characters of Bob's address: the checksum catches it.
    let i = bob.length - 10;
    while (bob[i] === bob[i + 1]) i--; // swapping twins changes nothing
    const typo = bob.slice(0, i) + bob[i + 1] + bob[i] + bob.slice(i + 2);
    if (typo === bob) throw new Error('the typo is no typo');
    await alicePage.fill('#recipient', typo);
    await alicePage.fill('#amount', '1');
    await alicePage.click('#send-button');
    await until(async () => (await text(alicePage, '#recipient-feedback')).includes('checksum'), 3000, 'the checksum message');
    await alicePage.fill('#recipient', 'px1qqqq');
    await alicePage.click('#send-button');
    await until(async () => (await text(alicePage, '#recipient-feedback')).includes('another network'), 3000, 'the network message');
    if ((await alicePage.locator('.tx-item').count()) !== 0) throw new Error('something was sent');
    await shot(alicePage, '03-bad-address');
  });

  await step('an amount over the balance is caught in the form', async () => {
    await alicePage.fill('#recipient', bob);
    await alicePage.fill('#amount', '150');
    await alicePage.click('#send-button');
    await until(async () => (await text(alicePage, '#amount-feedback')).includes('more than you can spend'), 3000, 'the balance message');
    await alicePage.fill('#amount', '0');
    await alicePage.click('#send-button');
    await until(async () => (await text(alicePage, '#amount-feedback')).includes('more than zero'), 3000, 'the zero message');
    await alicePage.fill('#amount', '1.123456789');
    await alicePage.click('#send-button');
    await until(async () => (await text(alicePage, '#amount-feedback')).includes('8 decimal places'), 3000, 'the decimals message');
    if ((await alicePage.locator('.tx-item').count()) !== 0) throw new Error('something was sent');
    await shot(alicePage, '04-over-balance');
  });

  let txid;
  await step('Alice sends 12.5 coins to Bob through the form; it is pending', async () => {
    await alicePage.fill('#recipient', bob);
    await alicePage.fill('#amount', '12.5');
    await alicePage.click('#send-button');
    const item = alicePage.locator('.tx-item').first();
    await item.waitFor({ timeout: 10000 });
    txid = await item.getAttribute('data-txid');
    if (!/^[0-9a-f]{64}$/.test(txid || '')) throw new Error(`no txid: ${txid}`);
    const st = await item.locator('.tx-status').getAttribute('data-status');
    if (st !== 'pending') throw new Error(`status ${st}: ${await item.textContent()}`);
    // Confirmed stays, the pending change shows what goes out (amount and
    // fee), and available is what is left to send.
    await until(async () => (await text(alicePage, '#balance-pending-out')).startsWith('\u221212.5001'), 10000, 'the pending change');
    await until(async () => (await text(alicePage, '#balance-available')).includes('137.4999'), 10000, 'the available balance');
    const confirmed = await text(alicePage, '#balance-confirmed');
    if (!confirmed.includes('150.00')) throw new Error(`confirmed shows "${confirmed}"`);
    const incoming = await text(alicePage, '#balance-pending-in');
    if (!incoming.startsWith('0.00')) throw new Error(`pending incoming shows "${incoming}"`);
    await shot(alicePage, '05-sent-pending');
  });

  await step("Bob's page shows the transfer coming in, pending", async () => {
    await bobPage.goto(bobUrl);
    const row = bobPage.locator(`#history-list .hist-item[data-txid="${txid}"]`);
    await row.waitFor({ timeout: 10000 });
    if ((await row.getAttribute('data-direction')) !== 'in') throw new Error('not incoming');
    if ((await row.getAttribute('data-status')) !== 'pending') throw new Error('not pending');
    const amount = await row.locator('.hist-amount').textContent();
    if (amount !== '+12.50') throw new Error(`amount "${amount}"`);
    if (!(await row.textContent()).includes('received')) throw new Error('not said received');
    await until(async () => (await text(bobPage, '#balance-pending-in')).startsWith('+12.50'), 10000, "Bob's pending incoming");
    const avail = await text(bobPage, '#balance-available');
    if (!avail.startsWith('0.00')) throw new Error(`Bob can spend "${avail}" already`);
    await shot(bobPage, '05b-bob-incoming-pending');
  });

  await step('a block confirms it and the page says so', async () => {
    generate(1, alice);
    const status = alicePage.locator(`.tx-item[data-txid="${txid}"] .tx-status`);
    await until(async () => (await status.getAttribute('data-status')) === 'confirmed', 15000, 'confirmed');
    const t = await status.textContent();
    if (!t.includes('1 confirmation')) throw new Error(`status says "${t}"`);
    await shot(alicePage, '06-confirmed');
  });

  await step('the modal of the confirming block lists the transfer with balances after', async () => {
    try {
      const card = alicePage.locator('.px-block[data-height="4"]');
      await card.waitFor({ timeout: 10000 });
      await card.click();
      const row = alicePage.locator(`#block-modal .tx-row[data-txid="${txid}"]`);
      await row.waitFor({ timeout: 10000 });
      const cells = await row.locator('td').allTextContents();
      // Type, txid, from, to, amount, fee, sender after, recipient after.
      if (!cells[0].includes('transfer')) throw new Error(`type ${cells[0]}`);
      if (!cells[4].startsWith('12.50')) throw new Error(`amount ${cells[4]}`);
      if (!cells[5].startsWith('0.0001')) throw new Error(`fee ${cells[5]}`);
      // 150 mined + the coinbase of this block (50.0001) - 12.5 - 0.0001.
      if (!cells[6].startsWith('187.50')) throw new Error(`sender after ${cells[6]}`);
      if (!cells[7].startsWith('12.50')) throw new Error(`recipient after ${cells[7]}`);
      const version = await text(alicePage, '#block-version');
      if (!/^0x[0-9a-f]{8}$/.test(version)) throw new Error(`version shown as "${version}"`);
      const coinbase = alicePage.locator('#block-modal .tx-row[data-type="coinbase"]');
      if ((await coinbase.count()) !== 1) throw new Error('no coinbase row');
      if (!(await coinbase.textContent()).includes('coinbase')) throw new Error('the coinbase is not marked');
      await alicePage.waitForTimeout(400); // the modal's fade
      await shot(alicePage, '07-block-modal', false); // the modal covers the viewport only
    } finally {
      await alicePage.keyboard.press('Escape');
      await alicePage.locator('#block-modal').waitFor({ state: 'hidden', timeout: 5000 });
    }
  });

  await step("Bob's page shows his new balance", async () => {
    await bobPage.goto(bobUrl);
    await until(async () => (await text(bobPage, '#balance-available')).includes('12.50'), 15000, "Bob's 12.5 coins");
    await shot(bobPage, '08-bob-received');
  });

  await step("Bob's history shows what Alice sent, confirmed, after a reload too", async () => {
    await bobPage.reload();
    const row = bobPage.locator(`#history-list .hist-item[data-txid="${txid}"]`);
    await row.waitFor({ timeout: 10000 });
    await until(async () => (await row.getAttribute('data-status')) === 'confirmed', 10000, 'confirmed in the history');
    const t = await row.locator('.tx-status').textContent();
    if (!t.includes('1 confirmation')) throw new Error(`status says "${t}"`);
    if (!(await row.textContent()).includes(shortAddrOf(alice))) throw new Error('Alice is not named as the sender');
    const page = await text(bobPage, '#history-page');
    if (!page.startsWith('1 transaction')) throw new Error(`the pager says "${page}"`);
    await shot(bobPage, '08b-bob-history');
  });

  await step("Alice's history: the transfer out and her mined blocks, paged", async () => {
    const row = alicePage.locator(`#history-list .hist-item[data-txid="${txid}"]`);
    await row.waitFor({ timeout: 10000 });
    if ((await row.getAttribute('data-direction')) !== 'out') throw new Error('not outgoing');
    const amount = await row.locator('.hist-amount').textContent();
    if (amount !== '\u221212.50') throw new Error(`amount "${amount}"`);
    // 4 coinbases (blocks 1..4) and the transfer: one page of 10.
    await until(async () => (await text(alicePage, '#history-page')).startsWith('5 transactions'), 10000, 'five transactions');
    if ((await alicePage.locator('#history-list .hist-item').count()) !== 5) throw new Error('not five rows');
  });

  await step('an unsigned send is refused and the reason is shown', async () => {
    await alicePage.fill('#recipient', bob);
    await alicePage.fill('#amount', '1');
    await alicePage.uncheck('#sign');
    await alicePage.click('#send-button');
    await until(async () => (await alicePage.locator('.tx-item').first().getAttribute('data-txid')) !== txid, 10000, 'a new transfer');
    const status = alicePage.locator('.tx-item').first().locator('.tx-status');
    await until(async () => (await status.getAttribute('data-status')) === 'rejected', 10000, 'rejected');
    const t = await status.textContent();
    if (!t.includes('bad-txns-unsigned')) throw new Error(`status says "${t}"`);
    const unsignedTxid = await alicePage.locator('.tx-item').first().getAttribute('data-txid');
    const r = await getJson(`${aliceUrl}transaction/${unsignedTxid}`);
    if (r.body.status !== 'rejected' || r.body.reason !== 'bad-txns-unsigned') throw new Error(JSON.stringify(r.body));
    await alicePage.check('#sign');
    await until(async () => (await text(alicePage, '#net-refused-txs')).includes('bad-txns-unsigned'), 10000, 'the network card');
    await shot(alicePage, '09-unsigned-refused');
  });

  await step('a peer that stops answering is shown unresponsive, not connected', async () => {
    const peerPort = await freePair(taken);
    const peer = start('peer', ['pickaxe-node', '--network', 'regtest', '--no-mine', '--tracker', trackerEp,
      '--listen', `127.0.0.1:${peerPort}`, '--data-dir', path.join(tmp, 'peer')]);
    await until(async () => (await text(alicePage, '#net-peer-list')).includes('connected'), 20000, 'the peer connected');
    // A stopped process keeps its TCP connections: only the node's requests
    // to it (a tip poll every few seconds) find out that it is gone.
    peer.kill('SIGSTOP');
    try {
      await until(async () => (await text(alicePage, '#net-peer-list')).includes('unresponsive'), 30000,
        'the stopped peer shown unresponsive');
      const list = await text(alicePage, '#net-peer-list');
      if (list.includes('connected')) throw new Error(`the peer list says "${list}"`);
      const row = await text(alicePage, '#net-peer-list [data-role="peer"]');
      // The row names the peer by key and by the endpoint its peers use
      // (its keyed request port, PORT+2).
      if (![peerPort, peerPort + 1, peerPort + 2].some((p) => row.includes(`127.0.0.1:${p}`)) ||
          !/[0-9a-f]{16}/.test(row)) throw new Error(`the peer's row says "${row}"`);
      const count = await text(alicePage, '#net-peers');
      if (count !== '0 connected, 1 unresponsive') throw new Error(`the peer count says "${count}"`);
      await shot(alicePage, '09b-peer-unresponsive');
    } finally {
      peer.kill('SIGCONT');
      await stop('peer');
    }
  });

  await step('a lost node shows a banner, and the page recovers by itself', async () => {
    await stop('node');
    await alicePage.locator('#conn-banner').waitFor({ state: 'visible', timeout: 20000 });
    await shot(alicePage, '10-node-lost');
    start('node', nodeArgs);
    await alicePage.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 30000 });
    await until(async () => (await text(alicePage, '#conn-text')) === 'connected', 10000, 'connected again');
    await until(async () => (await text(alicePage, '#net-height')) === '4', 10000, 'the height after the restart');
    await shot(alicePage, '11-node-back');
  });

  await step('the page threw no script errors', async () => {
    if (pageErrors.length) throw new Error(pageErrors.join('; '));
  });

  await step('the page is usable on a phone-sized screen', async () => {
    await alicePage.setViewportSize({ width: 390, height: 844 });
    await alicePage.waitForTimeout(300);
    const overflow = await alicePage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await shot(alicePage, '12-phone');
    if (overflow > 1) throw new Error(`the page is ${overflow}px wider than the screen`);
  });
} catch (e) {
  setupFailed(e);
} finally {
  await cleanup();
}

console.log(`screenshots and logs: ${ART}`);
finish();
