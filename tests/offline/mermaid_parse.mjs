// Parses each Mermaid file named on the command line with mermaid's own parser (the one GitHub's
// renderer runs). mermaid needs a DOM even to parse (DOMPurify): jsdom provides it.
// Prints "ok <file>" or "error <file>: <message>"; exit status 1 if any file fails.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const modules = process.env.MERMAID_NODE_MODULES;
const require = createRequire(path.join(modules, 'noop.js'));
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve('mermaid')).href);

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    await mermaid.parse(readFileSync(file, 'utf8'));
    console.log(`ok ${file}`);
  } catch (error) {
    failed += 1;
    console.log(`error ${file}: ${String(error.message || error).replace(/\n/g, ' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
