/*
 * pickaxe explorer page: the block tree as it grows, forks and reorgs,
 * pruned branches, and every refused block or transaction with the rule
 * that stopped it, live. Vanilla JS and hand-drawn SVG.
 *
 * Data (wallet_api_explorer.c, the node's rpc_explorer.h):
 *   /explorer/events?since=S  the node's event log after event S; polled
 *                             every POLL_MS (0.3 s) with the last number seen;
 *   /explorer/tree?limit=N    the last N heights of the tree (best chain
 *                             and side branches, with the branch tips and
 *                             how long until each side branch is pruned);
 *                             asked again whenever an event touched the
 *                             chain, and every TREE_REFRESH_MS anyway;
 *   /block/<hash>             a block's header and transactions, when one
 *                             is clicked.
 *
 * The page draws a window of WINDOW heights, never the whole chain, so a
 * chain of any length costs the same. Each block's SVG group is kept by
 * its hash from one drawing to the next, so when a reorg swaps the best
 * chain and a side branch the blocks move to their new rows (a CSS
 * transition) and the reorg is seen happening; a pruned branch fades out.
 * Refused blocks are drawn red at the height they claimed, beside the
 * parent they claimed (a dashed line), in rows below the tree; blocks held
 * for an unknown parent go in a band of their own.
 *
 * Everything shown is put in the page with textContent, never as HTML.
 */
'use strict';

const POLL_MS = 300;
const TREE_REFRESH_MS = 5000;
const WINDOW = 30;
const FEED_MAX = 80;
const REFUSED_KEEP = 600; // refused blocks remembered for drawing
const REFUSED_ROWS = 3; // rows of refused blocks drawn per height
const COL_W = 46;
const BOX_W = 40;
const BOX_H = 26;
const LANE_H = 40;
const TOP = 30;
const LEFT = 14;
const RIGHT = 80; // room for the last side tip's "pruned in N"
const SVGNS = 'http://www.w3.org/2000/svg';
const NOT_INVALID = new Set(['orphan', 'duplicate', 'out-of-memory', 'not-stored']);
// Refusals whose hash is the real block's (a tampered or mutated copy of
// it): finding that hash on the chain says nothing about the copy.
const SAME_HASH = new Set(['bad-txnmrklroot', 'bad-txns-duplicate', 'bad-blk-length']);

const state = {
  last: null, // the last event number seen
  tree: null,
  treeAt: 0,
  needTree: true,
  feed: [],
  refused: new Map(), // seq -> block-refused / block-orphan event
  reasons: {},
  refusedTotals: null,
  kinds: null,
  base: null, // {height, blocks, txs} when the page opened
  reorg: null, // {text, hashes: Set, until}
  pruned: new Set(), // tips of branches pruned lately
  nodes: new Map(), // key -> {g, edge}
  selected: null,
  feedKey: null,
  feedAt: 0,
  down: false,
  stats: { firstDrawMs: null, draws: 0, drawMsTotal: 0, drawMsMax: 0, polls: 0 },
};
window.pxExplorer = state; // for tests and benchmarks

/* ---- small helpers ------------------------------------------------------- */

/* $ and el() are common.js's. */

function svg(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  return e;
}

const short = (h) => (h ? h.slice(0, 8) : '?');
// A block's label: its hash past the leading zeros that proof of work put
// there (they are the same on every block).
const tiny = (h) => (h ? (h.replace(/^0+/, '') || '0').slice(0, 6) : '?');
const plural = (n, one, many) => `${fmt(n)} ${n === 1 ? one : many || `${one}s`}`;
const fmt = (n) => Number(n).toLocaleString('en-US');

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

async function api(path) {
  const r = await fetch(path, { cache: 'no-store' });
  let body = null;
  try {
    body = await r.json();
  } catch (e) {
    throw new Error(`${path}: not JSON (${r.status})`);
  }
  if (!r.ok) throw new Error(body && body.error ? body.error : `${path}: ${r.status}`);
  return body;
}

function setConnection(ok, why) {
  const pill = $('conn-pill');
  pill.className = `badge rounded-pill px-conn ${ok ? 'px-conn-ok' : 'px-conn-down'}`;
  $('conn-text').textContent = ok ? 'live' : 'disconnected';
  $('conn-banner').classList.toggle('d-none', ok);
  if (!ok) $('conn-banner-text').textContent = why || '';
  state.down = !ok;
}

/* Expected hashes to find a block of these compact bits: 2^256 / target. */
function bitsWork(bits) {
  const v = parseInt(bits, 16);
  const exp = v >>> 24;
  const mant = v & 0x007fffff;
  if (!mant) return 0;
  return 2 ** 256 / (mant * 2 ** (8 * (exp - 3)));
}

function sumValues(o, skip) {
  let s = 0;
  for (const [k, v] of Object.entries(o || {})) if (!skip || !skip.has(k)) s += v;
  return s;
}

/* ---- events -------------------------------------------------------------- */

function describe(e) {
  const from = e.mined ? 'mined here' : e.peer ? `from peer ${e.peer.slice(0, 8)}` : 'handed in here';
  switch (e.kind) {
    case 'block-accepted':
      return `block ${short(e.hash)} at ${e.height} joined the ${e.best ? 'best chain' : 'side branch'}, ${from}`;
    case 'reorg':
      return `reorg at height ${e.fork_height}: ${e.disconnected} block${e.disconnected === 1 ? '' : 's'} off, ` +
        `${e.connected} on; ${e.txs_returned} transaction${e.txs_returned === 1 ? '' : 's'} back in the mempool`;
    case 'branch-pruned':
      return `side branch of ${e.blocks} block${e.blocks === 1 ? '' : 's'} up to ${short(e.tip)} pruned; ` +
        `${e.txs_returned} transaction${e.txs_returned === 1 ? '' : 's'} back in the mempool`;
    case 'block-refused':
      return `block ${e.hash ? short(e.hash) : '(unparsable)'}${e.height !== undefined ? ` claiming height ${e.height}` : ''} refused: ${e.reason}`;
    case 'block-orphan':
      return `block ${short(e.hash)} on unknown parent ${short(e.parent)} held: ${e.reason}`;
    case 'tx-refused':
      return `transaction ${e.txid ? short(e.txid) : '(unparsable)'} refused: ${e.reason}`;
    case 'peer-banned':
      return `peer ${e.peer ? e.peer.slice(0, 8) : '?'} banned (${e.reason})`;
    default:
      return e.kind;
  }
}

function takeEvent(e) {
  state.feed.unshift(e);
  if (state.feed.length > FEED_MAX) state.feed.length = FEED_MAX;
  switch (e.kind) {
    case 'block-refused':
    case 'block-orphan':
      if (e.hash && e.height !== undefined) {
        state.refused.set(e.seq, e);
        if (state.refused.size > REFUSED_KEEP) state.refused.delete(state.refused.keys().next().value);
      }
      break;
    case 'reorg':
      state.needTree = true;
      state.reorg = {
        text: `Reorg! At height ${e.fork_height} the chain switched branches: ${e.disconnected} block${e.disconnected === 1 ? '' : 's'} ` +
          `left the best chain, ${e.connected} joined it; ${e.txs_returned} transaction${e.txs_returned === 1 ? '' : 's'} went back to the mempool.`,
        oldTip: e.old_tip,
        newTip: e.tip,
        until: Date.now() + 8000,
      };
      break;
    case 'branch-pruned':
      state.needTree = true;
      state.pruned.add(e.tip);
      break;
    case 'block-accepted':
      state.needTree = true;
      break;
    default:
      break;
  }
}

async function pollEvents() {
  if (state.last === null) {
    // First look: where the log is, then its last few hundred events.
    const head = await api('/explorer/events?limit=1');
    state.last = Math.max(head.first - 1, head.last - 300, 0);
  }
  const r = await api(`/explorer/events?since=${state.last}&limit=1000`);
  state.stats.polls++;
  if (r.missed && state.feed.length) state.needTree = true;
  for (const e of r.events) takeEvent(e);
  if (r.events.length) state.last = r.events[r.events.length - 1].seq;
  else if (r.last < state.last) state.last = r.last; // the node restarted
  Object.assign(state.reasons, r.reasons);
  state.refusedTotals = r.refused;
  state.kinds = r.counts;
  if (!state.base) {
    state.base = {
      height: r.height,
      blocks: sumValues(r.refused.blocks, NOT_INVALID),
      txs: sumValues(r.refused.transactions),
    };
  }
  if (state.tree && r.tip !== state.tree.tip) state.needTree = true;
  return r;
}

/* ---- the tree ------------------------------------------------------------ */

/* Positions of everything in the window: rows by branch. */
function layout(tree) {
  const pos = new Map(); // hash -> {x, y, b}
  const col = (h) => LEFT + (h - tree.from) * COL_W;
  const sideTips = tree.tips.filter((t) => t.status !== 'active').map((t) => t.hash);
  const lanes = new Map([[tree.tip, 0]]);
  sideTips.forEach((h, i) => lanes.set(h, i + 1));
  let maxLane = 0;
  for (const b of tree.blocks) {
    let lane = b.best ? 0 : lanes.get(b.branch);
    if (lane === undefined) {
      lane = lanes.size;
      lanes.set(b.branch, lane);
    }
    maxLane = Math.max(maxLane, lane);
    pos.set(b.hash, { x: col(b.height), y: TOP + lane * LANE_H, b });
  }
  const refusedTop = TOP + (maxLane + 1) * LANE_H + 8;
  const inTree = new Set(tree.blocks.map((b) => b.hash));
  const perHeight = new Map();
  const refused = [];
  const orphans = [];
  let more = new Map();
  for (const e of state.refused.values()) {
    if (e.height < tree.from || e.height > tree.to + 1) continue; // +1: on the tip
    if (e.kind === 'block-orphan') {
      if (!inTree.has(e.hash)) orphans.push(e);
      continue;
    }
    const n = perHeight.get(e.height) || 0;
    perHeight.set(e.height, n + 1);
    if (n < REFUSED_ROWS) refused.push({ e, x: col(e.height), y: refusedTop + n * (BOX_H + 10) });
    else more.set(e.height, n + 1 - REFUSED_ROWS);
  }
  const orphanTop = refusedTop + REFUSED_ROWS * (BOX_H + 10) + 8;
  const orphanAt = new Map();
  const placedOrphans = [];
  for (const e of orphans) {
    const n = orphanAt.get(e.height) || 0;
    orphanAt.set(e.height, n + 1);
    if (n < 2) placedOrphans.push({ e, x: col(e.height), y: orphanTop + n * (BOX_H + 8) });
  }
  const height = orphanTop + 2 * (BOX_H + 8) + 8;
  return { pos, col, refused, more, orphans: placedOrphans, refusedTop, orphanTop, height,
    width: LEFT + RIGHT + (tree.to - tree.from + 2) * COL_W };
}

function keep(key, make) {
  let n = state.nodes.get(key);
  if (!n) {
    n = make();
    n.fresh = true;
    state.nodes.set(key, n);
  }
  n.seen = true;
  return n;
}

function blockNode(key, cls, label, sub, onclick) {
  return keep(key, () => {
    const g = svg('g', { class: `px-node ${cls} px-enter`, 'data-key': key });
    g.append(svg('rect', { x: 0, y: 0, width: BOX_W, height: BOX_H }));
    g.append(svg('text', { x: BOX_W / 2, y: 12, 'text-anchor': 'middle', text: label }));
    g.append(svg('text', { x: BOX_W / 2, y: 22, 'text-anchor': 'middle', text: sub }));
    g.append(svg('title'));
    g.addEventListener('click', onclick);
    return { g };
  });
}

function place(n, x, y, cls) {
  n.g.style.transform = `translate(${x}px, ${y}px)`;
  const base = n.g.getAttribute('class').split(' ').filter((c) => c === 'px-enter' || c === 'px-node');
  n.g.setAttribute('class', [...base, ...cls].join(' '));
}

function draw() {
  const t0 = performance.now();
  const tree = state.tree;
  const root = $('tree');
  if (!tree) return;
  const L = layout(tree);
  const scroller = root.parentElement;
  // Follow the tip unless the reader scrolled back to look at something.
  const atEnd = scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 4;
  root.setAttribute('width', L.width);
  root.setAttribute('height', L.height);
  root.setAttribute('viewBox', `0 0 ${L.width} ${L.height}`);
  for (const n of state.nodes.values()) n.seen = false;

  // Static layers, redrawn each time: bands, axis, edges, labels.
  let bg = $('tree-bg');
  if (!bg) {
    bg = svg('g', { id: 'tree-bg' });
    root.prepend(bg);
  }
  bg.replaceChildren();
  bg.append(svg('rect', { class: 'px-band', x: 0, y: L.refusedTop - 6, width: L.width, height: REFUSED_ROWS * (BOX_H + 10) + 4 }));
  bg.append(svg('rect', { class: 'px-band px-band-orphan', x: 0, y: L.orphanTop - 4, width: L.width, height: 2 * (BOX_H + 8) + 4 }));
  bg.append(svg('text', { class: 'px-label', x: 4, y: L.refusedTop + 4, text: 'refused, beside the parent they claimed' }));
  bg.append(svg('text', { class: 'px-label', x: 4, y: L.orphanTop + 6, text: 'held: parent unknown' }));
  for (let h = tree.from; h <= tree.to; h++) {
    if ((h - tree.from) % 2 && h !== tree.to) continue;
    bg.append(svg('text', { class: 'px-label', x: L.col(h) + BOX_W / 2, y: 14, 'text-anchor': 'middle', text: h }));
  }
  const edges = svg('g');
  bg.append(edges);
  const mid = (p) => ({ x: p.x + BOX_W / 2, y: p.y + BOX_H / 2 });
  for (const p of L.pos.values()) {
    const q = L.pos.get(p.b.parent);
    if (!q) continue;
    const a = mid(q);
    const b = mid(p);
    edges.append(svg('path', {
      class: `px-edge${p.b.best && q.b.best ? ' px-edge-best' : ''}`,
      d: `M${a.x + BOX_W / 2} ${a.y} C${a.x + BOX_W / 2 + 8} ${a.y} ${b.x - BOX_W / 2 - 8} ${b.y} ${b.x - BOX_W / 2} ${b.y}`,
    }));
  }
  // A refused block's claimed parent: in the tree, or itself refused
  // (bad-prevblk builds on a block that was).
  const refusedAt = new Map(L.refused.map((r) => [r.e.hash, r]));
  for (const r of L.refused) {
    const q = L.pos.get(r.e.parent);
    const qr = q ? null : refusedAt.get(r.e.parent);
    if (q) {
      const a = mid(q);
      edges.append(svg('path', { class: 'px-edge px-edge-refused', d: `M${a.x} ${a.y + BOX_H / 2} L${r.x + BOX_W / 2} ${r.y}` }));
    } else if (qr) {
      edges.append(svg('path', { class: 'px-edge px-edge-refused', d: `M${qr.x + BOX_W} ${qr.y + BOX_H / 2} L${r.x} ${r.y + BOX_H / 2}` }));
    }
  }
  for (const [h, n] of L.more) {
    bg.append(svg('text', { class: 'px-reason', x: L.col(h), y: L.refusedTop + REFUSED_ROWS * (BOX_H + 10) - 2, text: `+${n} more` }));
  }
  // Side tips: how long until pruned.
  for (const t of tree.tips) {
    const p = L.pos.get(t.hash);
    if (!p || t.status === 'active') continue;
    bg.append(svg('text', { class: 'px-prune', x: p.x + BOX_W + 4, y: p.y + 16, text: `pruned in ${t.prune_in}` }));
  }

  // Blocks, kept by hash so they move rather than reappear.
  const reorg = state.reorg && state.reorg.until > Date.now() ? state.reorg : null;
  let fg = $('tree-fg');
  if (!fg) {
    fg = svg('g', { id: 'tree-fg' });
    root.append(fg);
  }
  for (const p of L.pos.values()) {
    const b = p.b;
    const n = blockNode(b.hash, '', tiny(b.hash), `${b.height}`, () => select({ type: 'block', hash: b.hash }));
    const cls = [b.best ? 'px-best' : 'px-side'];
    if (b.hash === tree.tip) cls.push('px-tip');
    if (reorg && reorg.moved && reorg.moved.has(b.hash)) cls.push('px-reorged');
    if (state.selected && state.selected.hash === b.hash && state.selected.type === 'block') cls.push('px-selected');
    n.g.setAttribute('data-hash', b.hash);
    n.g.setAttribute('data-height', b.height);
    n.g.setAttribute('data-best', b.best ? '1' : '0');
    n.g.querySelector('title').textContent = `block ${b.height} ${b.hash}\n${b.best ? 'best chain' : 'side branch'}, ${b.txs} transaction(s)`;
    place(n, p.x, p.y, cls);
  }
  for (const r of [...L.refused, ...L.orphans]) {
    const e = r.e;
    const orphan = e.kind === 'block-orphan';
    const n = blockNode(`r${e.seq}`, '', tiny(e.hash), orphan ? 'orphan' : e.reason.replace(/^bad-(txns-)?/, '').slice(0, 7), () => select({ type: 'refused', seq: e.seq }));
    n.g.setAttribute('data-hash', e.hash);
    n.g.setAttribute('data-reason', e.reason);
    n.g.setAttribute('data-height', e.height);
    n.g.querySelector('title').textContent = `${orphan ? 'held' : 'refused'}: ${e.reason}: ${state.reasons[e.reason] || ''}`;
    const cls = [orphan ? 'px-orphan' : 'px-refused'];
    if (state.selected && state.selected.type === 'refused' && state.selected.seq === e.seq) cls.push('px-selected');
    place(n, r.x, r.y, cls);
  }
  for (const [key, n] of state.nodes) {
    if (n.fresh) {
      fg.append(n.g);
      n.fresh = false;
      requestAnimationFrame(() => n.g.classList.remove('px-enter'));
    }
    if (!n.seen && !n.leaving) {
      n.leaving = true;
      n.g.classList.add('px-leaving');
      setTimeout(() => {
        n.g.remove();
        state.nodes.delete(key);
      }, 700);
    }
  }
  if (atEnd || state.stats.draws === 0) scroller.scrollLeft = scroller.scrollWidth;
  $('tree-range').textContent = `heights ${fmt(tree.from)}–${fmt(tree.to)} of ${fmt(tree.height)}`;
  const banner = $('reorg-banner');
  banner.classList.toggle('d-none', !reorg);
  if (reorg) banner.textContent = reorg.text;

  const ms = performance.now() - t0;
  state.stats.draws++;
  state.stats.drawMsTotal += ms;
  state.stats.drawMsMax = Math.max(state.stats.drawMsMax, ms);
  if (state.stats.firstDrawMs === null) {
    state.stats.firstDrawMs = performance.now();
    document.body.setAttribute('data-drawn', '1');
  }
}

async function fetchTree() {
  const before = state.tree;
  const t = await api(`/explorer/tree?limit=${WINDOW}`);
  state.tree = t;
  state.treeAt = Date.now();
  state.needTree = false;
  // A reorg: the blocks that changed rows are the ones it moved.
  if (state.reorg && !state.reorg.moved && before) {
    const was = new Map(before.blocks.map((b) => [b.hash, b.best]));
    state.reorg.moved = new Set(t.blocks.filter((b) => was.has(b.hash) && was.get(b.hash) !== b.best).map((b) => b.hash));
    for (const b of t.blocks) if (!was.has(b.hash) && b.best) state.reorg.moved.add(b.hash);
  }
  $('net-height').textContent = `height ${fmt(t.height)}`;
  draw();
  drawCharts();
}

/* ---- counts, the running line and the feed ------------------------------- */

function drawCounts() {
  const r = state.refusedTotals;
  if (!r) return;
  const list = (ul, tally) => {
    const rows = Object.entries(tally).sort((a, b) => b[1] - a[1]);
    ul.replaceChildren(...(rows.length ? rows.map(([reason, n]) =>
      el('li', { 'data-reason': reason, title: state.reasons[reason] || '' },
        el('span', { text: reason }), el('span', { class: 'px-count', text: fmt(n) }))) :
      [el('li', { class: 'text-body-secondary', text: 'none yet' })]));
  };
  list($('counts-blocks'), r.blocks);
  list($('counts-txs'), r.transactions);
  const k = state.kinds || {};
  $('kind-counts').replaceChildren(
    el('span', { id: 'count-reorgs', text: plural(k.reorg || 0, 'reorg') }),
    el('span', { id: 'count-pruned', text: `${plural(k['branch-pruned'] || 0, 'branch', 'branches')} pruned` }),
    el('span', { id: 'count-bans', text: plural(k['peer-banned'] || 0, 'peer banned', 'peers banned') }));

  // The running line, since the page opened.
  if (!state.base || !state.tree) return;
  const blocks = sumValues(r.blocks, NOT_INVALID) - state.base.blocks;
  const txs = sumValues(r.transactions) - state.base.txs;
  const grew = state.tree.height - state.base.height;
  const onChain = new Set(state.tree.blocks.filter((b) => b.best).map((b) => b.hash));
  let accepted = 0;
  for (const e of state.refused.values()) {
    if (e.kind === 'block-refused' && !SAME_HASH.has(e.reason) && onChain.has(e.hash)) accepted++;
  }
  const line = $('running-line');
  line.replaceChildren(
    'Since this page opened: honest chain ',
    el('span', { class: 'px-good', id: 'run-height', text: `${grew >= 0 ? '+' : ''}${fmt(grew)} block${Math.abs(grew) === 1 ? '' : 's'}` }),
    ' while ',
    el('span', { class: 'px-bad', id: 'run-blocks', text: `${fmt(blocks)} invalid block${blocks === 1 ? '' : 's'}` }),
    ' and ',
    el('span', { class: 'px-bad', id: 'run-txs', text: `${fmt(txs)} invalid transaction${txs === 1 ? '' : 's'}` }),
    ' were refused; ',
    el('span', { class: accepted ? 'px-bad' : 'px-good', id: 'run-accepted', text: `${fmt(accepted)} accepted` }),
    '.');
}

function drawFeed() {
  // Redrawn when something new came, and every few seconds for the ages.
  const key = `${state.last}`;
  if (key === state.feedKey && Date.now() - state.feedAt < 5000) return;
  state.feedKey = key;
  state.feedAt = Date.now();
  $('feed-seq').textContent = state.last ? `event ${fmt(state.last)}` : '';
  const items = state.feed.map((e) => {
    const why = e.reason && state.reasons[e.reason];
    const li = el('li', { 'data-kind': e.kind, 'data-seq': e.seq, 'data-reason': e.reason, title: clock(e.time_ms) },
      el('div', {},
        el('span', { class: 'px-feed-kind', text: e.kind.replace('-', ' ') }), ' ',
        el('span', { class: 'text-body-secondary small', text: ago(e.time_ms) })),
      el('div', { text: describe(e) }),
      why ? el('div', { class: 'px-why', text: `${e.reason}: ${why}` }) : null);
    if (e.kind === 'block-refused' || e.kind === 'block-orphan') li.addEventListener('click', () => select({ type: 'refused', seq: e.seq, event: e }));
    else if (e.kind === 'block-accepted') li.addEventListener('click', () => select({ type: 'block', hash: e.hash }));
    return li;
  });
  $('feed').replaceChildren(...items);
}

/* ---- charts -------------------------------------------------------------- */

function chart(id, values, unit) {
  const box = $(id);
  box.replaceChildren();
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length < 2) {
    $(`${id}-now`).textContent = 'waiting for blocks';
    return;
  }
  const max = Math.max(...v);
  const min = Math.min(0, ...v);
  const span = max - min || 1;
  const pts = v.map((y, i) => `${(i / (v.length - 1)) * 300},${66 - ((y - min) / span) * 60}`);
  box.append(svg('polygon', { class: 'px-chart-area', points: `0,70 ${pts.join(' ')} 300,70` }));
  box.append(svg('polyline', { points: pts.join(' ') }));
  $(`${id}-now`).textContent = unit(v[v.length - 1]);
}

function si(x) {
  const units = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  while (x >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${x.toFixed(x < 10 ? 2 : 1)} ${units[i]}`;
}

function drawCharts() {
  const best = state.tree.blocks.filter((b) => b.best).sort((a, b) => a.height - b.height);
  const intervals = [];
  const work = [];
  const rates = [];
  for (let i = 1; i < best.length; i++) {
    if (best[i - 1].height === 0) continue; // genesis' time is long ago
    const dt = best[i].time - best[i - 1].time;
    intervals.push(dt);
    work.push(bitsWork(best[i].bits));
    // Work over time of the last few blocks (at least a second each).
    const k = Math.min(5, intervals.length);
    const w = work.slice(-k).reduce((a, b) => a + b, 0);
    const t = intervals.slice(-k).reduce((a, b) => a + Math.max(b, 1), 0);
    rates.push(w / t);
  }
  chart('chart-interval', intervals, (x) => `${x} s`);
  chart('chart-difficulty', work, (x) => `${si(x)}hashes/block`);
  chart('chart-hashrate', rates, (x) => `${si(x)}H/s`);
}

/* ---- details ------------------------------------------------------------- */

function dl(rows) {
  const d = el('dl', { class: 'row mb-2 px-details' });
  for (const [k, v] of rows) {
    if (v === undefined || v === null) continue;
    d.append(el('dt', { class: 'col-sm-3', text: k }), el('dd', { class: 'col-sm-9 mb-1', text: String(v) }));
  }
  return d;
}

function txTable(list) {
  return el('table', { class: 'table table-sm small mb-0', id: 'details-txs' },
    el('thead', {}, el('tr', {}, ...['type', 'txid', 'from', 'to', 'amount', 'fee'].map((t) => el('th', { text: t })))),
    el('tbody', {}, ...list.map((t) => el('tr', { 'data-txid': t.txid, 'data-type': t.type },
      el('td', { text: t.type }), el('td', { class: 'font-monospace', text: short(t.txid) }),
      el('td', { class: 'font-monospace', text: t.from ? `${t.from.slice(0, 14)}…` : '—' }),
      el('td', { class: 'font-monospace', text: t.to ? `${t.to.slice(0, 14)}…` : '—' }),
      el('td', { text: (Number(t.amount) / 1e8).toFixed(8) }),
      el('td', { text: t.fee !== undefined ? (Number(t.fee) / 1e8).toFixed(8) : '' })))));
}

async function select(what) {
  state.selected = what;
  draw();
  const box = $('details');
  box.setAttribute('data-type', what.type);
  if (what.type === 'refused') {
    const e = what.event || state.refused.get(what.seq) || state.feed.find((x) => x.seq === what.seq);
    if (!e) return;
    const h = e.header || {};
    const known = state.tree && state.tree.blocks.some((b) => b.hash === e.parent);
    box.replaceChildren(
      el('h3', { class: 'h6', text: e.kind === 'block-orphan' ? 'Block held: its parent is unknown' : 'Refused block' }),
      el('div', { class: 'px-rule mb-3', id: 'details-rule' },
        el('strong', { text: e.reason }), ': ', state.reasons[e.reason] || 'no description'),
      dl([
        ['hash', e.hash], ['claimed parent', `${e.parent}${known ? ' (in the tree)' : ''}`], ['claimed height', e.height],
        ['from peer', e.peer || 'this node'], ['arrived', `${clock(e.time_ms)} (${ago(e.time_ms)})`],
        ['version', h.version], ['merkle root', h.merkleRoot], ['time', h.timestamp !== undefined ? `${h.timestamp} (${new Date(h.timestamp * 1000).toISOString()})` : undefined],
        ['bits', h.bits], ['nonce', h.nonce], ['transactions', e.txs],
      ]));
    // The node keeps the first transactions of its last refused blocks.
    if (e.kind === 'block-refused') {
      try {
        const d = await api(`/explorer/refused/${e.seq}`);
        if (state.selected !== what) return;
        box.append(el('p', { class: 'small text-body-secondary mb-1',
          text: d.transactions.length < d.tx_count ? `the first ${d.transactions.length} of ${d.tx_count} transactions:` : 'its transactions:' }),
        txTable(d.transactions));
      } catch (err) {
        box.append(el('p', { class: 'small text-body-secondary mb-0', text: 'Its transactions are no longer kept.' }));
      }
    }
    return;
  }
  box.replaceChildren(el('p', { class: 'small text-body-secondary', text: 'loading…' }));
  try {
    const b = await api(`/block/${what.hash}`);
    if (state.selected !== what) return;
    const txs = txTable(b.data || []);
    box.replaceChildren(
      el('h3', { class: 'h6', text: `Block ${b.blockHeight} — ${b.mainChain ? 'best chain' : 'side branch'}` }),
      dl([
        ['hash', b.hash], ['previous', b.previousHash], ['height', b.blockHeight],
        ['confirmations', b.confirmations], ['time', `${b.timestamp} (${new Date(b.timestamp * 1000).toISOString()})`],
        ['version', b.version], ['merkle root', b.merkleRoot], ['bits', b.bits], ['nonce', b.nonce],
        ['miner', b.miner], ['transactions', b.txCount],
      ]),
      txs);
  } catch (err) {
    box.replaceChildren(el('p', { class: 'text-danger small', text: `This block is no longer held (${err.message}).` }));
  }
}

/* ---- the loop ------------------------------------------------------------ */

async function tick() {
  try {
    await pollEvents();
    if (state.needTree || Date.now() - state.treeAt > TREE_REFRESH_MS) await fetchTree();
    else if (state.reorg && state.reorg.until < Date.now()) {
      state.reorg = null;
      draw();
    }
    drawCounts();
    drawFeed();
    if (state.down) setConnection(true);
    else $('conn-text').textContent = 'live';
    $('conn-pill').className = 'badge rounded-pill px-conn px-conn-ok';
  } catch (e) {
    setConnection(false, e.message);
  }
  setTimeout(tick, POLL_MS);
}

tick();
