// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, from assets embedded in the binary: the
// page works with no internet access and loads nothing from another origin.
//
// The assets in dist/ are built from the graphiql npm package at the versions pinned in
// web/package-lock.json by `make graphiql` (npm ci, then esbuild through web/build.mjs) and committed, so
// `go build` needs no npm. dist/manifest.json names the content-hashed JS and CSS files;
// dist/THIRD_PARTY_LICENSES.txt holds the licence of every bundled npm package and is served beside them.
//
// Handler serves the page at "/" and the assets under AssetPrefix. The page is sent with a strict
// Content-Security-Policy (scripts from the page's origin only, style elements only with a per-response
// nonce, requests only to the page's origin and the endpoint), and GraphiQL sends its requests as
// POST application/json to the endpoint, with what the user types in its headers editor (e.g.
// Authorization) as request headers.
package graphiql
