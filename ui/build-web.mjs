// Builds the analyst console (ui/web) into dist/ui/web: one esbuild bundle (app-<hash>.js + app-<hash>.css
// under assets/) and index.html pointing at them. Runs after `tsc` (npm run build), because the record schema
// the browser's JSON codec needs is read with the engine's own loader from dist/.
//
// Why dist/ui/web and not dist/ui: tsc already emits ui/server and ui/api into dist/ui; the static server serves
// this folder only, so nothing of the server's code can be fetched by a browser.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/ui/web');
const { buildSchema } = await import(join(root, 'dist/engine/record/schema.js'));

/**
 * The record schema as plain JSON: messages by type name (a message used twice, such as PriceFormat, is one
 * entry; references by name keep the table free of cycles). ui/web/rules/record-codec.ts rebuilds the tree.
 */
function serializeSchema(rootSpec) {
  const messages = {};
  const visit = (spec) => {
    if (messages[spec.typeName]) return;
    messages[spec.typeName] = { typeName: spec.typeName, fields: [] };
    messages[spec.typeName].fields = spec.fields.map((f) => {
      if (f.message) visit(f.message);
      return { jsonName: f.jsonName, prop: f.prop, number: f.number, repeated: f.repeated, kind: f.kind, ...(f.message ? { message: f.message.typeName } : {}) };
    });
  };
  visit(rootSpec);
  return { root: rootSpec.typeName, messages };
}

const schemaJson = JSON.stringify(serializeSchema(buildSchema(root)));

/** `import schema from 'swaprep:record-schema'` resolves to the schema above (see ui/web/env.d.ts). */
const recordSchemaPlugin = {
  name: 'record-schema',
  setup(b) {
    b.onResolve({ filter: /^swaprep:record-schema$/ }, (args) => ({ path: args.path, namespace: 'record-schema' }));
    b.onLoad({ filter: /.*/, namespace: 'record-schema' }, () => ({ contents: schemaJson, loader: 'json' }));
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { app: 'ui/web/main.ts' },
  bundle: true,
  format: 'esm',
  // platform browser: an import of a Node built-in (node:fs...) anywhere in the graph fails the build.
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  plugins: [recordSchemaPlugin],
  logLevel: 'warning',
});

// Belt and braces: name any engine module that reads files or the environment if it ever slips in.
const inputs = Object.keys(result.metafile.inputs);
const nodeOnly = inputs.filter((p) => /engine\/record\/schema\.ts$|^node:|engine\/(store|ingest|cli)\//.test(p));
if (nodeOnly.length > 0) throw new Error(`node-only modules in the browser bundle: ${nodeOnly.join(', ')}`);

const outputs = Object.keys(result.metafile.outputs).map((p) => relative(out, join(root, p)));
const js = outputs.find((p) => /^assets\/app-[A-Z0-9]+\.js$/.test(p));
const css = outputs.find((p) => /^assets\/app-[A-Z0-9]+\.css$/.test(p));
if (!js || !css) throw new Error(`esbuild outputs lack app js/css: ${outputs.join(', ')}`);
const html = readFileSync(join(root, 'ui/web/index.html'), 'utf8').replace('%APP_JS%', `/${js}`).replace('%APP_CSS%', `/${css}`);
writeFileSync(join(out, 'index.html'), html);
const bytes = outputs.filter((p) => p.endsWith('.js') || p.endsWith('.css')).map((p) => `${p} ${readFileSync(join(out, p)).length} B`);
console.log(`console built into ${relative(root, out)}: ${bytes.join(', ')}`);
