// What the browser tests (wallet.test.mjs, explorer.test.mjs) share: where
// the build and the artifacts are, playwright-core from PW_DIR, free port
// pairs, the network's processes (each logging to
// build/browser-artifacts/logs/), waiting for a condition, and the steps'
// "ok - NAME" / "FAIL - NAME: why" lines with their tally.
//
// Each test is its own node process, so the state here is that test's.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const BUILD = process.env.BUILD || 'build';
const require = createRequire(path.resolve(process.env.PW_DIR || `${BUILD}/browser`) + '/');
export const { chromium } = require('playwright-core');

export const ART = path.resolve(BUILD, 'browser-artifacts');
export const CLI = process.env.CLI || `${BUILD}/pickaxe-cli`;

const procs = new Map();
let logPrefix = '';
let passed = 0;
let failed = 0;

// Log files are logs/PREFIXNAME.log (the explorer's: "explorer-").
export function setLogPrefix(prefix) {
  logPrefix = prefix;
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// A port whose successor is free too (request port + gossip port).
export async function freePair(taken) {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 40000);
    if (taken.has(p) || taken.has(p + 1)) continue;
    if ((await portFree(p)) && (await portFree(p + 1))) {
      taken.add(p);
      taken.add(p + 1);
      return p;
    }
  }
}

// Starts BUILD/args[0] with the rest as its arguments, known as `name`.
export function start(name, args) {
  const log = fs.openSync(path.join(ART, 'logs', `${logPrefix}${name}.log`), 'a');
  const child = spawn(path.join(BUILD, args[0]), args.slice(1), {
    stdio: ['ignore', log, log],
    env: { ...process.env, PICKAXE_LOG_LEVEL: 'info' },
  });
  procs.set(name, child);
  return child;
}

// SIGTERM, then SIGKILL after 5 s; waits for the exit.
export async function stop(name) {
  const child = procs.get(name);
  if (!child || child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
  procs.delete(name);
}

export async function stopAll() {
  for (const name of [...procs.keys()]) await stop(name);
}

// fn's first truthy value, tried every 200 ms for ms; else throws.
export async function until(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function getJson(url, opts) {
  const r = await fetch(url, opts);
  return { status: r.status, body: await r.json() };
}

// Runs one step; on failure, onFail(file-name-safe step name) may take
// screenshots (its own errors are the caller's to swallow).
export async function step(name, fn, onFail) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL - ${name}: ${e.message.split('\n')[0]}`);
    if (onFail) await onFail(name.replace(/\W+/g, '-'));
  }
}

// A failure outside every step (starting the network, the browser).
export function setupFailed(e) {
  failed++;
  console.log(`FAIL - setup: ${e.message}`);
}

// The last line, "N passed, N failed", and the exit status.
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
