/*
 * What the wallet page (script.js) and the explorer page (explorer.js)
 * both use to build their DOM: $ for an element by id, and el() for a new
 * element with its attributes, handlers and children. Loaded before either
 * page's own script, as a classic script, so both see these as globals.
 */

'use strict';

const $ = (id) => document.getElementById(id);

/* el('a', {class, text, onclick, href: ...}, child, 'text', ...): null and
 * undefined attributes and children are skipped; strings become text, never
 * markup. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
