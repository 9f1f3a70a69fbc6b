/*
 * pickaxe wallet page: the seed's "My Crypto Wallet" in vanilla JS.
 *
 * On load: fetchAddress() (cached), fetchBalance(), fetchTransactions() (the
 * blockchain), fetchNetwork(), and POST /connect while not connected. Every
 * 3 seconds: the balance, the network view, the status of the transfers
 * sent from this page, and the blockchain when its height changed. A failed
 * request shows a banner; the next successful one hides it and reconnects.
 *
 * Amounts travel as integers of base units (1 coin = 100,000,000) and are
 * handled with BigInt here, never with floating point. Everything shown is
 * put in the page with textContent, never as HTML.
 */
'use strict';

const UNITS_PER_COIN = 100000000n;
const POLL_MS = 3000;
const BLOCKS_PER_PAGE = 9;
const FINAL_CONFIRMATIONS = 6;
const BECH32_CHARS = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

const state = {
  address: null,
  network: null,
  hrp: null,
  connected: false,
  down: false,
  available: null,      // BigInt, base units
  height: null,
  page: 1,
  pages: 1,
  shownTip: null,
  ticking: false,
  historyPage: 1,
  historyPages: 1,
  sent: [],             // {txid, amount, fee, recipient, signed, time, status, reason, confirmations}
};

/* ---- small helpers ------------------------------------------------------- */

/* $ and el() are common.js's. */

function toUnits(v) {
  try {
    return BigInt(v);
  } catch (e) {
    return 0n;
  }
}

/* "1234.5" style text of base units: grouped whole part, 2..8 decimals. */
function formatCoins(units) {
  let u = toUnits(units);
  const neg = u < 0n;
  if (neg) u = -u;
  const whole = (u / UNITS_PER_COIN).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let frac = (u % UNITS_PER_COIN).toString().padStart(8, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return (neg ? '-' : '') + whole + '.' + frac;
}

function coinsNode(units, big) {
  return el('span', { title: toUnits(units).toString() + ' base units' },
    formatCoins(units), el('span', { class: big ? 'px-unit' : 'text-body-secondary ms-1', text: 'coins' }));
}

/* A pending change: "+12.50 incoming", "−1.5001 outgoing"; nothing
 * pending is "0.00", without a sign. */
function signedCoinsNode(units, sign, what) {
  const u = toUnits(units);
  return el('span', { title: u.toString() + ' base units', 'data-units': u.toString() },
    (u > 0n ? sign : '') + formatCoins(units), el('span', { class: 'text-body-secondary ms-1', text: what }));
}

/* Parses a coin amount typed by a person, exactly. Returns BigInt units or
 * throws an Error whose message is for the person. */
/* Coins as people write them, read exactly as the service's amount module
 * (src/core/amount.c) reads them, and refused with its phrases after the
 * field's name, so the page, the service and pickaxe-cli say the same. */
function parseCoins(text, field) {
  const t = text.trim();
  if (t === '') throw new Error(`Enter the ${field}.`);
  const refuse = (phrase) => new Error(`The ${field} ${phrase}.`);
  if (t.startsWith('-')) throw refuse('must be positive');
  const m = /^(\d+)(?:\.(\d+))?$/.exec(t);
  if (!m) throw refuse('is not a number of coins (such as "1.5")');
  const frac = m[2] || '';
  if (frac.length > 8) throw refuse('has more than 8 decimal places (1 base unit is 0.00000001 coin)');
  const units = BigInt(m[1]) * UNITS_PER_COIN + BigInt(frac.padEnd(8, '0') || '0');
  if (units > 21000000n * UNITS_PER_COIN) throw refuse('is more than the 21,000,000 coins that can ever exist');
  return units;
}

/* Base units as coins without trailing zeros ("0.0001", "3"): what
 * parseCoins reads back to the same units. */
function plainCoins(units) {
  const u = toUnits(units);
  const frac = (u % UNITS_PER_COIN).toString().padStart(8, '0').replace(/0+$/, '');
  return (u / UNITS_PER_COIN).toString() + (frac ? '.' + frac : '');
}

function shortHash(h) {
  return h && h.length > 20 ? h.slice(0, 10) + '\u2026' + h.slice(-6) : (h || '');
}

function shortAddr(a, compact) {
  if (!a) return '';
  const sep = a.lastIndexOf('1');
  if (sep < 0 || a.length < 24) return a;
  const keep = compact ? 4 : 6;
  return a.slice(0, sep + 1 + keep) + '\u2026' + a.slice(-keep);
}

function timeAgo(unixSeconds) {
  const s = Math.round(Date.now() / 1000 - unixSeconds);
  if (s < 0) return 'just now';
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return new Date(unixSeconds * 1000).toLocaleDateString();
}

function formatHashrate(h) {
  if (h === null || h === undefined || !isFinite(h)) return '\u2013';
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];
  let i = 0;
  while (h >= 1000 && i < units.length - 1) { h /= 1000; i++; }
  return (h >= 100 ? h.toFixed(0) : h >= 10 ? h.toFixed(1) : h.toFixed(2)) + ' ' + units[i];
}

/* A hash or address shown short, full on hover, copied on click. */
function hashNode(full, shown) {
  const n = el('span', { class: 'px-hash', title: full + '\n(click to copy)', 'data-full': full, tabindex: '0' },
    shown || shortHash(full));
  n.addEventListener('click', (ev) => { ev.stopPropagation(); copyText(full, n); });
  return n;
}

function addrNode(addr, compact) {
  if (!addr) return el('span', { class: 'text-body-secondary', text: '\u2013' });
  const wrap = el('span', {}, hashNode(addr, shortAddr(addr, compact)));
  if (addr === state.address) wrap.append(' ', el('span', { class: 'badge text-bg-warning px-you', text: 'you' }));
  return wrap;
}

/* ---- copy to clipboard ------------------------------------------------------ */

/* navigator.clipboard exists only on secure origins (and may still be
 * refused); the hidden textarea + execCommand('copy') works on plain HTTP. */
async function copyText(text, feedbackEl) {
  let ok = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (e) { /* fall back */ }
  }
  if (!ok) {
    const ta = $('copy-buffer');
    ta.value = text;
    ta.removeAttribute('readonly');
    ta.select();
    ta.setSelectionRange(0, text.length);
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.setAttribute('readonly', '');
    ta.blur();
  }
  if (feedbackEl) flash(feedbackEl, ok ? 'Copied' : 'Press Ctrl+C');
  return ok;
}

function flash(node, text) {
  if (node.tagName === 'BUTTON') {
    const old = node.dataset.label || node.textContent;
    node.dataset.label = old;
    node.textContent = text;
    setTimeout(() => { node.textContent = node.dataset.label; }, 1500);
  } else {
    const tip = el('span', { class: 'badge text-bg-dark ms-1 px-copied', text });
    node.after(tip);
    setTimeout(() => tip.remove(), 1500);
  }
}

/* ---- talking to the wallet service ------------------------------------------ */

class ApiError extends Error {
  constructor(message, status, unreachable) {
    super(message);
    this.status = status;
    this.unreachable = unreachable;
  }
}

async function api(method, path, body) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 10000);
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: ctl.signal,
      cache: 'no-store',
    });
  } catch (e) {
    clearTimeout(timer);
    const err = new ApiError(`The wallet service at ${location.host} does not answer.`, 0, true);
    markDown(err.message);
    throw err;
  }
  clearTimeout(timer);
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 502 || res.status === 503) {
    const msg = (data && data.error) || `The node is unreachable (HTTP ${res.status}).`;
    markDown(msg);
    throw new ApiError(msg, res.status, true);
  }
  markUp();
  if (!res.ok) throw new ApiError((data && data.error) || `HTTP ${res.status}`, res.status, false);
  return data;
}

function setPill(kind, text) {
  const pill = $('conn-pill');
  pill.className = 'badge rounded-pill px-conn px-conn-' + kind;
  $('conn-text').textContent = text;
}

function markDown(reason) {
  state.down = true;
  state.connected = false;
  $('conn-banner-text').textContent = /[.!?]$/.test(reason) ? reason : reason + '.';
  $('conn-banner').classList.remove('d-none');
  setPill('down', 'offline');
}

function markUp() {
  if (!state.down) return;
  state.down = false;
  $('conn-banner').classList.add('d-none');
  setPill(state.connected ? 'ok' : 'wait', state.connected ? 'connected' : 'connecting');
}

/* ---- the seed's functions ------------------------------------------------------- */

async function fetchAddress() {
  if (state.address) return state.address;
  const d = await api('GET', '/wallet/address');
  state.address = d.address;
  state.network = d.network;
  state.hrp = d.address.slice(0, d.address.lastIndexOf('1'));
  $('address').textContent = d.address;
  $('address').title = d.address;
  $('copy-address').disabled = false;
  $('network-badge').textContent = d.network;
  $('recipient').placeholder = state.hrp + '1\u2026';
  /* The service's default fee (the one pickaxe-cli uses too), unless the
   * fee has been typed over already. */
  const fee = $('fee');
  if (typeof d.default_fee === 'number' && fee.value === fee.defaultValue) {
    fee.value = plainCoins(d.default_fee);
  }
  loadSent();
  return state.address;
}

async function connect() {
  if (state.connected) return;
  const d = await api('POST', '/connect');
  state.connected = true;
  setPill('ok', 'connected');
  $('footer-node').textContent = d.node;
}

async function fetchBalance() {
  const d = await api('GET', '/wallet/balance');
  state.available = toUnits(d.available);
  $('balance-available').replaceChildren(coinsNode(d.available, true));
  $('balance-confirmed').replaceChildren(coinsNode(d.confirmed));
  $('balance-pending-in').replaceChildren(signedCoinsNode(d.pending_incoming, '+', 'incoming'));
  $('balance-pending-out').replaceChildren(signedCoinsNode(d.pending_outgoing, '\u2212', 'outgoing'));
  $('balance-updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

async function fetchTransactions() {
  const d = await api('GET', `/blockchain?page=${state.page}&limit=${BLOCKS_PER_PAGE}`);
  state.pages = d.pages;
  state.height = d.height;
  const previousTip = state.shownTip;
  state.shownTip = d.height;
  $('chain-page').textContent = `height ${d.height} \u00b7 page ${d.page} of ${d.pages}`;
  $('chain-newer').disabled = state.page <= 1;
  $('chain-older').disabled = state.page >= d.pages;
  const cards = d.blocks.map((b) => blockCard(b, previousTip !== null && b.blockHeight > previousTip));
  $('blocks').replaceChildren(...(cards.length ? cards : [el('div', { class: 'col text-body-secondary small', text: 'No blocks on this page.' })]));
}

function blockCard(b, isNew) {
  const card = el('div', {
    class: 'card h-100 px-block' + (isNew ? ' px-block-new' : ''),
    tabindex: '0', role: 'button', 'data-height': b.blockHeight, 'data-hash': b.hash,
    'aria-label': `Block ${b.blockHeight}: show its transactions`,
  },
  el('div', { class: 'card-body p-3' },
    el('div', { class: 'd-flex justify-content-between align-items-baseline' },
      el('span', { class: 'px-height', text: '#' + b.blockHeight }),
      el('span', { class: 'small text-body-secondary', title: new Date(b.timestamp * 1000).toLocaleString(), text: timeAgo(b.timestamp) })),
    el('div', { class: 'small mt-1' }, hashNode(b.hash)),
    el('div', { class: 'mt-2' },
      el('span', { class: 'badge text-bg-light border', text: b.txCount + (b.txCount === 1 ? ' transaction' : ' transactions') })),
    el('div', { class: 'small text-body-secondary mt-1 text-nowrap' }, 'miner ', addrNode(b.miner, true))));
  const open = () => showBlock(b.hash);
  card.addEventListener('click', open);
  card.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(); } });
  return el('div', { class: 'col' }, card);
}

async function showBlock(hash) {
  const modalEl = $('block-modal');
  const modal = bootstrap.Modal.getOrCreateInstance(modalEl);
  $('block-modal-title').textContent = 'Block';
  $('block-modal-fields').replaceChildren();
  $('block-modal-txs').replaceChildren(el('tr', {}, el('td', { colspan: '8', class: 'text-body-secondary', text: 'Loading\u2026' })));
  modal.show();
  let b;
  try {
    b = await api('GET', '/block/' + hash);
  } catch (e) {
    $('block-modal-txs').replaceChildren(el('tr', {}, el('td', { colspan: '8', class: 'text-danger', text: e.message })));
    return;
  }
  $('block-modal-title').replaceChildren('Block #' + b.blockHeight, ' ',
    el('span', { class: 'badge text-bg-secondary fw-normal ms-2',
      text: b.confirmations + (b.confirmations === 1 ? ' confirmation' : ' confirmations') }));
  const field = (name, value) => [el('dt', { class: 'col-sm-3 text-body-secondary fw-normal', text: name }), el('dd', { class: 'col-sm-9 mb-1 text-break' }, value)];
  $('block-modal-fields').replaceChildren(
    ...field('Hash', hashNode(b.hash, b.hash)),
    ...field('Previous', hashNode(b.previousHash, b.previousHash)),
    ...field('Merkle root', hashNode(b.merkleRoot, b.merkleRoot)),
    ...field('Time', new Date(b.timestamp * 1000).toLocaleString()),
    ...field('Nonce \u00b7 bits', b.nonce + ' \u00b7 ' + b.bits),
    ...field('Version', el('span', { id: 'block-version', class: 'font-monospace', title: 'bits 13..16 are rolled by the miners (BIP 320)' },
      '0x' + (b.version >>> 0).toString(16).padStart(8, '0'))),
    ...field('Miner', addrNode(b.miner)));
  const rows = (b.data || []).map((tx) => el('tr', { class: 'tx-row', 'data-txid': tx.txid, 'data-type': tx.type },
    el('td', {}, tx.type === 'coinbase'
      ? el('span', { class: 'badge text-bg-warning', text: 'coinbase' })
      : el('span', { class: 'badge text-bg-primary', text: 'transfer' })),
    el('td', {}, hashNode(tx.txid)),
    el('td', {}, tx.type === 'coinbase' ? el('span', { class: 'text-body-secondary', text: 'new coins' }) : addrNode(tx.from)),
    el('td', {}, addrNode(tx.to)),
    el('td', { class: 'px-num' }, coinsNode(tx.amount)),
    el('td', { class: 'px-num' }, tx.type === 'coinbase' ? '\u2013' : coinsNode(tx.fee)),
    el('td', { class: 'px-num' }, tx.fromBalanceAfter !== undefined ? coinsNode(tx.fromBalanceAfter) : '\u2013'),
    el('td', { class: 'px-num' }, tx.toBalanceAfter !== undefined ? coinsNode(tx.toBalanceAfter) : '\u2013')));
  $('block-modal-txs').replaceChildren(...rows);
}

async function fetchNetwork() {
  const d = await api('GET', '/network');
  $('net-height').textContent = d.height;
  // A stopped peer keeps its connection open: "connected" only when it
  // also answers the node's requests (responsive, from the node's peers).
  const unresponsive = (d.peers || []).filter((p) => !p.banned && p.responsive === false).length;
  const connected = (d.peers || []).filter((p) => p.connected && !p.banned && p.responsive !== false).length;
  $('net-peers').textContent = connected + ' connected' + (unresponsive ? `, ${unresponsive} unresponsive` : '');
  $('net-node-hashrate').textContent = d.mining ? formatHashrate(d.hashrate.node) : 'not mining';
  $('net-hashrate').textContent = formatHashrate(d.hashrate.network);
  $('net-difficulty').textContent = formatDifficulty(d.difficulty);
  $('net-mempool').textContent = d.mempool + (d.mempool === 1 ? ' transfer' : ' transfers');
  $('net-tracker').textContent = d.tracker ? (d.tracker.reachable ? `up \u00b7 ${d.tracker.peers} node${d.tracker.peers === 1 ? '' : 's'}` : 'unreachable') : 'none';
  const st = d.stratum;
  $('net-stratum').textContent = st
    ? `${st.connections} miner${st.connections === 1 ? '' : 's'} \u00b7 ${formatHashrate(st.hashrate)} \u00b7 ${st.blocks} block${st.blocks === 1 ? '' : 's'}`
    : 'off';
  if (st) $('net-stratum').title = `${st.url}: ${st.accepted} shares accepted, ${st.stale} stale, ${st.low_difficulty} low difficulty`;
  renderTally($('net-refused-blocks'), d.refused && d.refused.blocks, 'None refused.');
  renderTally($('net-refused-txs'), d.refused && d.refused.transactions, 'None refused.');
  // This wallet's node and the tracker first, each with its role, then
  // the node's peers: id and endpoint, and how they answer.
  const rows = [peerRow(d.node_id, d.node, 'you', el('span', { class: 'badge text-bg-primary', text: 'your node' }))];
  if (d.tracker) {
    rows.push(peerRow(null, d.tracker.endpoint, 'tracker', d.tracker.reachable
      ? el('span', { class: 'badge text-bg-info', text: 'tracker \u00b7 up' })
      : el('span', { class: 'badge text-bg-warning', text: 'tracker \u00b7 unreachable' })));
  }
  const peers = (d.peers || []).map((p) => peerRow(p.id, p.req, 'peer',
    p.banned ? el('span', { class: 'badge text-bg-danger', text: 'banned' })
      : p.responsive === false ? el('span', {
        class: 'badge text-bg-warning',
        text: 'unresponsive',
        title: p.last_answer_age_s == null ? 'has not answered a request' : `last answered a request ${p.last_answer_age_s} s ago`,
      })
      : p.connected ? el('span', { class: 'badge text-bg-success', text: 'connected' })
        : el('span', { class: 'badge text-bg-secondary', text: 'idle' })));
  if (!peers.length) rows.push(el('li', { class: 'text-body-secondary', text: 'No peers yet.' }));
  $('net-peer-list').replaceChildren(...rows, ...peers);
  return d;
}

/* One line of the network card's peer list: node id (when known), request
 * endpoint and a badge saying its role or state. */
function peerRow(id, endpoint, role, badge) {
  return el('li', { class: 'd-flex justify-content-between align-items-start gap-2 mb-1 px-peer', 'data-role': role },
    el('div', { class: 'text-break' },
      id ? el('div', { class: 'font-monospace', text: id }) : null,
      el('div', { class: 'text-body-secondary font-monospace', text: (endpoint || '').replace(/^tcp:\/\//, '') })),
    badge);
}

/* Difficulty in one format whatever its size: grouped, two decimals. */
function formatDifficulty(v) {
  return Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}


function renderTally(ul, tally, emptyText) {
  const entries = Object.entries(tally || {}).sort((a, b) => b[1] - a[1]);
  if (!entries.length) {
    ul.replaceChildren(el('li', { class: 'text-body-secondary', text: emptyText }));
    return;
  }
  ul.replaceChildren(...entries.map(([reason, count]) => el('li', { class: 'd-flex justify-content-between' },
    el('code', { text: reason }), el('span', { class: 'badge text-bg-danger', text: String(count) }))));
}

/* ---- sending ---------------------------------------------------------------------- */

function setInvalid(input, feedback, message) {
  input.classList.toggle('is-invalid', !!message);
  $(feedback).textContent = message || '';
  return !message;
}

function checkAddress(text) {
  const t = text.trim();
  if (!t) return 'Enter the recipient\u2019s address.';
  if (t !== t.toLowerCase() && t !== t.toUpperCase()) return 'An address is all lower case (or all upper case).';
  const a = t.toLowerCase();
  const sep = a.lastIndexOf('1');
  if (sep < 1) return `That is not an address: it should start with ${state.hrp}1.`;
  if (a.slice(0, sep) !== state.hrp) return `That address is for another network: addresses here start with ${state.hrp}1.`;
  const data = a.slice(sep + 1);
  for (const c of data) {
    if (!BECH32_CHARS.includes(c)) return `The character \u201c${c}\u201d cannot appear in an address.`;
  }
  if (data.length !== 59) return `That address has ${data.length} characters after ${state.hrp}1; it should have 59.`;
  if (!bech32mValid(state.hrp, data)) return 'Bad checksum: a character of this address is mistyped.';
  return null;
}

/* BIP-350 bech32m checksum (the node checks it too; this only spares a
 * round trip and says at once which field is wrong). */
function bech32mValid(hrp, data) {
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const values = [];
  for (const c of hrp) values.push(c.charCodeAt(0) >> 5);
  values.push(0);
  for (const c of hrp) values.push(c.charCodeAt(0) & 31);
  for (const c of data) values.push(BECH32_CHARS.indexOf(c));
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
  }
  return (chk >>> 0) === 0x2bc830a3 && values[values.length - data.length] === 1;
}

function validateSend() {
  const recipient = $('recipient');
  const amount = $('amount');
  const fee = $('fee');
  let ok = setInvalid(recipient, 'recipient-feedback', checkAddress(recipient.value));
  let units = null;
  let feeUnits = null;
  try {
    feeUnits = parseCoins(fee.value, 'fee');
    setInvalid(fee, 'fee-feedback', null);
  } catch (e) {
    ok = setInvalid(fee, 'fee-feedback', e.message) && ok;
  }
  try {
    units = parseCoins(amount.value, 'amount');
    if (units === 0n) throw new Error('The amount must be more than zero.');
    if (feeUnits !== null && state.available !== null && units + feeUnits > state.available) {
      throw new Error(`That is more than you can spend: ${formatCoins(state.available)} coins available, fee included.`);
    }
    setInvalid(amount, 'amount-feedback', null);
  } catch (e) {
    ok = setInvalid(amount, 'amount-feedback', e.message) && ok;
  }
  return ok ? { recipient: recipient.value.trim().toLowerCase(), amount: units, fee: feeUnits } : null;
}

async function onSend(ev) {
  ev.preventDefault();
  const result = $('send-result');
  result.className = 'small';
  result.textContent = '';
  try {
    await fetchBalance();
  } catch (e) { /* validate against what we know */ }
  const v = validateSend();
  if (!v) return;
  const sign = $('sign').checked;
  const button = $('send-button');
  button.disabled = true;
  button.replaceChildren(el('span', { class: 'spinner-border spinner-border-sm me-2', 'aria-hidden': 'true' }), 'Sending');
  try {
    /* Base units as JSON integers: exact, since 21e6 coins < 2^53 units. */
    const d = await api('POST', '/transaction/send', {
      recipient: v.recipient, amount: Number(v.amount), fee: Number(v.fee), sign,
    });
    const entry = {
      txid: d.txid, amount: String(d.amount), fee: String(d.fee), recipient: d.recipient,
      signed: d.signed, time: Date.now(), status: d.status, reason: d.reason || null, confirmations: 0,
    };
    state.sent.unshift(entry);
    saveSent();
    renderSent();
    result.className = 'small ' + (d.status === 'rejected' ? 'text-danger' : 'text-success');
    result.textContent = d.status === 'rejected' ? 'Refused by the node: ' + d.reason : 'Sent. Waiting for a block\u2026';
    $('amount').value = '';
    fetchBalance().catch(() => {});
    fetchTransactions().catch(() => {});
  } catch (e) {
    result.className = 'small text-danger';
    result.textContent = e.message;
  } finally {
    button.disabled = false;
    button.textContent = 'Send';
  }
}

/* The transfers sent from this page, kept per address in localStorage so
 * they survive a reload. */
function sentKey() {
  return 'pickaxe.sent.' + state.address;
}

function loadSent() {
  try {
    state.sent = JSON.parse(localStorage.getItem(sentKey()) || '[]');
  } catch (e) {
    state.sent = [];
  }
  renderSent();
}

function saveSent() {
  try {
    localStorage.setItem(sentKey(), JSON.stringify(state.sent.slice(0, 50)));
  } catch (e) { /* private mode: keep them in memory */ }
}

function statusBadge(tx) {
  if (tx.status === 'confirmed') {
    return el('span', { class: 'badge text-bg-success tx-status', 'data-status': 'confirmed' },
      `confirmed \u00b7 ${tx.confirmations} confirmation${tx.confirmations === 1 ? '' : 's'}`);
  }
  if (tx.status === 'rejected') {
    return el('span', { class: 'badge text-bg-danger tx-status', 'data-status': 'rejected', title: tx.reason || '' },
      'rejected: ' + (tx.reason || 'refused'));
  }
  if (tx.status === 'unknown') {
    return el('span', { class: 'badge text-bg-secondary tx-status', 'data-status': 'unknown', text: 'not seen by the node' });
  }
  return el('span', { class: 'badge text-bg-warning tx-status', 'data-status': 'pending' },
    el('span', { class: 'spinner-grow spinner-grow-sm me-1', 'aria-hidden': 'true' }), 'pending');
}

function renderSent() {
  const list = $('tx-list');
  if (!state.sent.length) {
    list.replaceChildren(el('li', { class: 'list-group-item text-body-secondary small px-empty', text: 'Nothing sent from this page yet.' }));
    return;
  }
  list.replaceChildren(...state.sent.slice(0, 8).map((tx) => el('li', { class: 'list-group-item tx-item', 'data-txid': tx.txid },
    el('div', { class: 'd-flex justify-content-between align-items-center gap-2 flex-wrap' },
      el('div', { class: 'small' },
        el('strong', {}, coinsNode(tx.amount)), ' to ', addrNode(tx.recipient),
        tx.signed ? null : el('span', { class: 'badge text-bg-light border ms-1', text: 'unsigned' })),
      statusBadge(tx)),
    el('div', { class: 'small text-body-secondary' }, 'txid ', hashNode(tx.txid),
      ' \u00b7 ', new Date(tx.time).toLocaleTimeString()))));
}

async function pollSent() {
  let changed = false;
  for (const tx of state.sent.slice(0, 8)) {
    const final = tx.status === 'rejected' || (tx.status === 'confirmed' && tx.confirmations >= FINAL_CONFIRMATIONS);
    if (final) continue;
    let d;
    try {
      d = await api('GET', '/transaction/' + tx.txid);
    } catch (e) {
      if (e.status === 404) { tx.status = 'unknown'; changed = true; }
      continue;
    }
    const conf = d.confirmations || 0;
    if (d.status !== tx.status || conf !== tx.confirmations || (d.reason || null) !== tx.reason) {
      tx.status = d.status;
      tx.confirmations = conf;
      tx.reason = d.reason || null;
      changed = true;
    }
  }
  if (changed) {
    saveSent();
    renderSent();
  }
}

/* ---- history: the address's transactions, from the node's address index ---- */

const HISTORY_PER_PAGE = 10;

function historyRow(tx) {
  const out = tx.direction === 'out';
  const self = tx.direction === 'self';
  const what = tx.type === 'coinbase' ? 'mined (block reward)' : out ? 'sent' : self ? 'sent to yourself' : 'received';
  const sign = out ? '\u2212' : self ? '' : '+';
  const other = tx.type === 'coinbase' ? el('span', { class: 'text-body-secondary', text: 'block ' + tx.height })
    : addrNode(out ? tx.to : tx.from, true);
  return el('tr', { class: 'hist-item', 'data-txid': tx.txid, 'data-direction': tx.direction, 'data-status': tx.status },
    el('td', {}, statusBadge(tx)),
    el('td', { class: 'small' }, what),
    el('td', { class: 'px-num text-end text-nowrap hist-amount ' + (out ? 'text-danger' : 'text-success') },
      sign + formatCoins(tx.amount)),
    el('td', { class: 'px-num text-end small text-nowrap' }, tx.type === 'coinbase' ? '\u2013' : formatCoins(tx.fee)),
    el('td', { class: 'small' }, other),
    el('td', { class: 'small' }, hashNode(tx.txid)));
}

async function fetchHistory() {
  const d = await api('GET', `/wallet/history?page=${state.historyPage}&limit=${HISTORY_PER_PAGE}`);
  state.historyPages = d.pages;
  $('history-page').textContent = `${d.total} transaction${d.total === 1 ? '' : 's'} \u00b7 page ${d.page} of ${d.pages}`;
  $('history-newer').disabled = state.historyPage <= 1;
  $('history-older').disabled = state.historyPage >= d.pages;
  const list = $('history-list');
  if (!d.items.length) {
    list.replaceChildren(el('tr', {}, el('td', { colspan: '6', class: 'text-body-secondary small px-empty',
      text: 'No transactions yet: coins sent to this address, mined or sent from it show here.' })));
    return;
  }
  list.replaceChildren(...d.items.map(historyRow));
}

/* ---- start and poll -------------------------------------------------------------------- */

async function tick() {
  if (state.ticking) return;
  state.ticking = true;
  try {
    if (!state.address) await fetchAddress();
    if (!state.connected) await connect();
    await fetchBalance();
    const net = await fetchNetwork();
    if (state.page === 1 && net.height !== state.shownTip) await fetchTransactions();
    await pollSent();
    await fetchHistory();
  } catch (e) {
    /* shown by the banner or ignored until the next tick */
  } finally {
    state.ticking = false;
  }
}

function wire() {
  $('copy-address').addEventListener('click', () => { if (state.address) copyText(state.address, $('copy-address')); });
  $('send-form').addEventListener('submit', onSend);
  for (const id of ['recipient', 'amount', 'fee']) {
    $(id).addEventListener('input', () => { if ($(id).classList.contains('is-invalid')) validateSend(); });
  }
  $('sign').addEventListener('change', () => {
    $('sign-help').className = 'form-text' + ($('sign').checked ? '' : ' text-danger');
    $('sign-help').textContent = $('sign').checked
      ? 'Unsigned transfers exist only to watch the network refuse them.'
      : 'This transfer will go out unsigned: the network will refuse it.';
  });
  $('send-max').addEventListener('click', (ev) => {
    ev.preventDefault();
    let fee = 0n;
    try { fee = parseCoins($('fee').value, 'fee'); } catch (e) { /* validated on send */ }
    if (state.available !== null && state.available > fee) {
      const u = state.available - fee;
      $('amount').value = plainCoins(u);
    }
  });
  $('history-newer').addEventListener('click', () => { if (state.historyPage > 1) { state.historyPage--; fetchHistory().catch(() => {}); } });
  $('history-older').addEventListener('click', () => { if (state.historyPage < state.historyPages) { state.historyPage++; fetchHistory().catch(() => {}); } });
  $('chain-newer').addEventListener('click', () => { if (state.page > 1) { state.page--; fetchTransactions().catch(() => {}); } });
  $('chain-older').addEventListener('click', () => { if (state.page < state.pages) { state.page++; fetchTransactions().catch(() => {}); } });
}

async function start() {
  wire();
  try {
    await fetchAddress();
    await connect();
  } catch (e) { /* the banner says why; tick() retries */ }
  await Promise.allSettled([fetchBalance(), fetchTransactions(), fetchNetwork(), fetchHistory()]);
  pollSent().catch(() => {});
  setInterval(tick, POLL_MS);
}

document.addEventListener('DOMContentLoaded', start);
