// Builds the GraphiQL bundle that graph/graphiql embeds: `make graphiql` runs `npm ci` and then this.
// Output (../dist, committed): graphiql-<hash>.js and graphiql-<hash>.css, manifest.json naming them, and
// THIRD_PARTY_LICENSES.txt with the licence of every npm package that went into the bundle.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { graphiql: 'src/main.jsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Licences go to THIRD_PARTY_LICENSES.txt (below), so the served code carries no comment text.
  legalComments: 'none',
  // Every asset stays inside the bundle or beside it: fonts and images are inlined as data: URLs.
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  logLevel: 'warning',
});

// manifest.json: the entry's JS and CSS file names, read by the Go handler.
const manifest = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint) manifest.js = relative(out, join(here, file));
  if (meta.entryPoint && meta.cssBundle) manifest.css = relative(out, join(here, meta.cssBundle));
}
if (!manifest.js || !manifest.css) throw new Error(`bundle is missing its JS or CSS: ${JSON.stringify(manifest)}`);
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

// THIRD_PARTY_LICENSES.txt: one section per npm package whose files were bundled, sorted by name.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//);
  if (m) packages.set(m[2], join(here, m[1]));
}
const repoOf = (pkg) => {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url ?? '';
  return url.replace(/^git\+/, '').replace(/\.git$/, '').replace(/^github:/, 'https://github.com/');
};
const info = new Map();
for (const [name, dir] of packages) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)([-.][\w.-]*)?$/i.test(f));
  info.set(name, { pkg, repo: repoOf(pkg), text: file ? readFileSync(join(dir, file), 'utf8').trim() : '' });
}
const MIT = (holder) => `MIT License\n\nCopyright (c) ${holder}\n\n` +
  'Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated ' +
  'documentation files (the "Software"), to deal in the Software without restriction, including without limitation ' +
  'the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and ' +
  'to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\n' +
  'The above copyright notice and this permission notice shall be included in all copies or substantial portions ' +
  'of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, ' +
  'INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND ' +
  'NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER ' +
  'LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE ' +
  'SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.';
const sections = [];
for (const name of [...info.keys()].sort()) {
  const { pkg, repo, text } = info.get(name);
  let body = text;
  if (!body) {
    // The package ships no licence file: take the one of a bundled package from the same repository
    // (the graphiql plugins, react-compiler-runtime), else the declared licence's standard text.
    const base = repo.split('/tree/')[0];
    const siblings = [...info.entries()].filter(([n, i]) => n !== name && i.text && base && i.repo === base);
    // Prefer the package named after the repository (react for facebook/react, graphiql for graphql/graphiql).
    const sibling = siblings.find(([n]) => n === base.split('/').pop()) ?? siblings[0];
    if (sibling) {
      body = `(no licence file in the package; ${repo} is licensed as ${sibling[0]}:)\n\n${sibling[1].text}`;
    } else if (pkg.license === 'MIT') {
      const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name ?? `the ${name} authors`;
      body = `(no licence file in the package; package.json declares MIT, author ${author}, ${repo})\n\n${MIT(author)}`;
    } else {
      throw new Error(`${name}: no licence file and licence ${pkg.license} is not MIT`);
    }
  }
  const dir = packages.get(name);
  const notice = readdirSync(dir).find((f) => /^notice(\.(md|txt))?$/i.test(f));
  if (notice) body += `\n\n${notice}:\n${readFileSync(join(dir, notice), 'utf8').trim()}`;
  sections.push(`${name}@${pkg.version} (${pkg.license})\n${'-'.repeat(72)}\n${body}\n`);
}
const header = 'Third-party software bundled in the GraphiQL page of Trellis (graph/graphiql/dist).\n' +
  'Each package is listed with its version, its declared licence and the licence text it ships.\n';
writeFileSync(join(out, 'THIRD_PARTY_LICENSES.txt'), [header, ...sections].join('\n' + '='.repeat(72) + '\n\n'));

console.log(`graphiql: ${manifest.js}, ${manifest.css}, ${info.size} packages' licences`);
if (!existsSync(join(out, manifest.css))) throw new Error('CSS bundle not written');
