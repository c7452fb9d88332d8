// The GraphiQL page of the Trellis gateway. The Go handler (graph/graphiql) serves the HTML shell with
// <div id="graphiql" data-endpoint="..."> and this bundle; nothing is loaded from another origin.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { setNonce } from 'get-nonce';
import 'graphiql/style.css';
import './page.css';

const defaultQuery = `# Welcome to the Trellis gateway.
# Ctrl-Enter (Cmd-Enter) runs the query; the Headers tab below carries
# {"Authorization": "Bearer <token>"} for fields that need a signed-in user.
{
  topProducts(first: 3) {
    upc
    name
    price
    reviews {
      body
      author { name }
    }
  }
}
`;

const root = document.getElementById('graphiql');
// The <style> elements that GraphiQL's dialogs add carry the page's CSP nonce (style-src has no
// 'unsafe-inline').
setNonce(root.dataset.styleNonce);
// The endpoint is resolved against the page's own origin: a relative path such as /graphql stays on it.
const url = new URL(root.dataset.endpoint || '/graphql', window.location.href).toString();
// POST application/json: a request a browser cannot send cross-site without a CORS preflight.
const fetcher = createGraphiQLFetcher({ url });

createRoot(root).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={defaultQuery}
    isHeadersEditorEnabled={true}
    // Headers (tokens) stay in memory unless the user turns "Persist headers" on in the settings.
    shouldPersistHeaders={false}
    showPersistHeadersSettings={true}
  />,
);
