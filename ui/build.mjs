// Builds the UI into crates/custodian-server/assets/ (checked in, so `cargo
// build` needs no Node): app.js (src/main.js and its imports, bundled with
// esbuild), app.css, icon.svg, and index.html naming each as
// /ui/<name>?v=<FNV-1a 64 of its bytes>, the version crates/custodian-server/
// src/ui.rs computes to decide that an asset may be cached for a year.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const out = `${here}../crates/custodian-server/assets/`;
mkdirSync(out, { recursive: true });

/** FNV-1a, 64 bits, as 16 hex digits (the same as ui.rs's `fnv1a_64`). */
export function fnv1a64(bytes) {
  let hash = 0xcbf29ce484222325n;
  for (const b of bytes) {
    hash ^= BigInt(b);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

const common = { bundle: true, minify: true, legalComments: 'eof', logLevel: 'warning', write: false, charset: 'utf8' };
const js = await build({ ...common, entryPoints: [`${here}src/main.js`], format: 'esm', target: ['chrome109', 'firefox115', 'safari16'] });
const css = await build({ ...common, entryPoints: [`${here}src/style.css`], target: ['chrome109', 'firefox115', 'safari16'] });

const files = {
  'app.js': js.outputFiles[0].contents,
  'app.css': css.outputFiles[0].contents,
  'icon.svg': readFileSync(`${here}src/icon.svg`),
};
let page = readFileSync(`${here}src/index.html`, 'utf8');
for (const [name, bytes] of Object.entries(files)) {
  writeFileSync(out + name, bytes);
  page = page.replaceAll(`{{${name}}}`, `/ui/${name}?v=${fnv1a64(bytes)}`);
}
writeFileSync(`${out}index.html`, page);
for (const name of ['index.html', ...Object.keys(files)]) {
  console.log(`${name.padEnd(10)} ${readFileSync(out + name).length} bytes`);
}
