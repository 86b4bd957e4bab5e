// Lints rendered emails against the caniemail data, with @jsx-email/doiuse-email (installed by
// `make tools` under target/tools/email-clients). Usage:
//   node check.mjs <client glob>[,<client glob>...] <file.html>...
// Prints one JSON object per line: {"file", "clients", "success", "errors", "notes"}.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const module = resolve(
  root,
  'target/tools/email-clients/node_modules/@jsx-email/doiuse-email/dist/index.mjs',
);
const { doIUseEmail } = await import(pathToFileURL(module).href);

const [clients, ...files] = process.argv.slice(2);
for (const file of files) {
  const html = readFileSync(file, 'utf8');
  const result = doIUseEmail(html, { emailClients: clients.split(',') });
  console.log(JSON.stringify({
    file,
    clients,
    success: result.success,
    errors: result.errors ?? [],
    notes: result.notes ?? [],
  }));
}
