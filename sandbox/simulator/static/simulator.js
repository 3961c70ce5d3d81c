// The EHR simulator page. It behaves like an EHR's web client: when a chart opens it reads the
// service's discovery document, builds prefetch from its templates, calls patient-view straight
// from the browser (cross-origin, signed JWT), renders the cards, and sends feedback.
import { renderMarkdown } from './markdown.js';
import { openOrderPanel } from './orders.js';

const INDICATOR_ORDER = { critical: 0, warning: 1, info: 2 };
export const state = { config: null, discovery: null, patients: [], current: null, exchanges: 0 };
export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function jwtClaims(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
}

// --- HTTP, with every exchange shown in the "HTTP exchanges" panel ---------------------------

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

// A call to the CDS service: signed by the simulator backend for exactly this URL.
export async function callService(method, path, body) {
  const url = `${state.config.serviceBaseUrl}/${path}`;
  const minted = await fetch('/api/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ aud: url }),
  });
  if (!minted.ok) throw new Error(`token for ${url}: HTTP ${minted.status}`);
  const { token } = await minted.json();
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  logExchange({ method, url, token, body, status: response.status, json, ms: performance.now() - started });
  return { status: response.status, ok: response.ok, json };
}

function logExchange({ method, url, token, body, status, json, ms }) {
  state.exchanges += 1;
  const pre = (label, value) => el('div', {}, el('h4', { textContent: label }),
    el('pre', { textContent: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }));
  const entry = el('details', { className: 'exchange-entry', dataset: { testid: 'exchange-entry' } },
    el('summary', { textContent: `#${state.exchanges} ${method} ${url} → ${status} (${Math.round(ms)} ms)` }),
    pre('Authorization: Bearer <JWT> (claims)', jwtClaims(token)),
    body === undefined ? null : pre('Request body', body),
    pre('Response body', json));
  $('exchange-log').prepend(entry);
}

// --- the patient-view call ----------------------------------------------------------------------

export async function serviceDefinition() {
  if (!state.discovery) {
    const answer = await callService('GET', 'cds-services');
    if (!answer.ok || !Array.isArray(answer.json?.services) || !answer.json.services.length) {
      throw new Error(`discovery failed (HTTP ${answer.status})`);
    }
    state.discovery = answer.json;
  }
  const service = state.discovery.services.find((s) => s.id === state.config.serviceId);
  if (!service) throw new Error(`discovery lists no service ${state.config.serviceId}`);
  return service;
}

// Prefetch as an EHR builds it: fill the tokens, run each template against the EHR's FHIR data,
// leave out keys that fail (never null) and, on purpose, the keys the config omits.
export async function buildPrefetch(service, patientId) {
  const read = async ([key, template]) => {
    const query = template.replaceAll('{{context.patientId}}', encodeURIComponent(patientId));
    if (state.config.omittedPrefetchKeys.includes(key) || query.includes('{{')) return null;
    const response = await fetch(`/api/fhir/${query}`, { headers: { Accept: 'application/fhir+json' } });
    return response.ok ? [key, await response.json()] : null;
  };
  const answers = await Promise.all(Object.entries(service.prefetch ?? {}).map(read));
  return Object.fromEntries(answers.filter(Boolean));
}

async function openChart(patient) {
  state.current = patient;
  document.querySelectorAll('#patient-list button').forEach((b) => b.classList.toggle('selected', b.dataset.key === patient.key));
  $('patient-banner').hidden = false;
  $('patient-title').textContent = patient.title;
  $('patient-vignette').textContent = patient.vignette;
  $('expected-categories').replaceChildren(...patient.expectedCategories.map((c) => el('span', { className: 'chip', textContent: c })));
  $('cards').replaceChildren();
  openOrderPanel(patient);
  setStatus('Calling patient-view…', 'busy');
  try {
    const service = await serviceDefinition();
    const prefetch = await buildPrefetch(service, patient.patientId);
    const request = {
      hook: service.hook,
      hookInstance: uuid4(),
      fhirServer: state.config.fhirServer,
      fhirAuthorization: {
        access_token: state.config.accessToken, token_type: 'Bearer', expires_in: 300,
        scope: 'patient/*.read', subject: state.config.serviceId,
      },
      context: { userId: state.config.userId, patientId: patient.patientId },
      prefetch,
    };
    const answer = await callService('POST', `cds-services/${service.id}`, request);
    if (state.current !== patient) return; // the user moved on to another chart
    if (!answer.ok) throw new Error(`patient-view failed: HTTP ${answer.status}`);
    const cards = [...(answer.json.cards ?? [])].sort((a, b) => (INDICATOR_ORDER[a.indicator] ?? 3) - (INDICATOR_ORDER[b.indicator] ?? 3));
    $('cards').replaceChildren(...cards.map((card) => renderCard(card, service.id)));
    const omitted = state.config.omittedPrefetchKeys.join(', ');
    const count = cards.length ? `${cards.length} card(s).` : 'No cards for this patient.';
    setStatus(`${count} Left out of prefetch on purpose: ${omitted} (the service fetches it from fhirServer).`, 'done');
  } catch (error) {
    setStatus(String(error.message ?? error), 'error');
  }
}

function setStatus(text, kind) {
  const status = $('call-status');
  status.textContent = text;
  status.dataset.state = kind;
}

// --- cards and feedback -------------------------------------------------------------------------

// `onAccept(suggestion)` lets a screen apply an accepted suggestion (the order screen does).
export function renderCard(card, serviceId, onAccept) {
  const meta = card.extension?.['org.gist-cds'] ?? {};
  const feedbackLine = el('p', { className: 'feedback-status', dataset: { testid: 'feedback-status' } });
  const send = async (item, doneText) => {
    feedbackLine.textContent = 'Sending feedback…';
    try {
      const answer = await callService('POST', `cds-services/${serviceId}/feedback`, {
        feedback: [{ card: card.uuid, outcomeTimestamp: new Date().toISOString(), ...item }],
      });
      feedbackLine.textContent = answer.ok ? `${doneText} — feedback recorded (HTTP ${answer.status}).` : `Feedback failed: HTTP ${answer.status}`;
      feedbackLine.dataset.state = answer.ok ? 'sent' : 'error';
      if (answer.ok) node.querySelectorAll('button, select').forEach((c) => { c.disabled = true; });
    } catch (error) {
      feedbackLine.textContent = `Feedback failed: ${error.message}`;
      feedbackLine.dataset.state = 'error';
    }
  };

  const source = card.source ?? {};
  const sourceLabel = source.url
    ? el('a', { href: source.url, target: '_blank', rel: 'noopener noreferrer', textContent: source.label ?? source.url })
    : el('span', { textContent: source.label ?? '' });
  const detail = el('div', { className: 'detail', dataset: { testid: 'card-detail' } });
  detail.innerHTML = renderMarkdown(card.detail ?? ''); // safe: the renderer escapes all HTML

  const node = el('article', {
    className: `card indicator-${card.indicator}`,
    dataset: { testid: 'card', indicator: card.indicator, category: meta.category ?? '', ruleId: meta.ruleId ?? '', cardUuid: card.uuid ?? '' },
  },
  el('header', {},
    el('span', { className: 'indicator', textContent: card.indicator }),
    el('h3', { className: 'summary', textContent: card.summary, dataset: { testid: 'card-summary' } }),
    el('span', { className: 'tags', textContent: [meta.category, meta.ruleId && `rule ${meta.ruleId}`].filter(Boolean).join(' · ') })),
  detail,
  el('p', { className: 'source' }, 'Source: ', sourceLabel),
  renderLinks(card.links ?? []),
  renderActions(card, send, onAccept),
  feedbackLine);
  return node;
}

function renderLinks(links) {
  if (!links.length) return null;
  return el('ul', { className: 'links' }, ...links.map((link) => el('li', {},
    el('a', { href: link.url, target: '_blank', rel: 'noopener noreferrer', textContent: link.label, dataset: { testid: 'card-link' } }))));
}

function renderActions(card, send, onAccept) {
  const actions = el('div', { className: 'actions' });
  // Like the CDS Hooks sandbox: only suggestions with a label and a uuid can be accepted.
  for (const suggestion of card.suggestions ?? []) {
    if (!suggestion.label || !card.uuid || !suggestion.uuid) continue;
    actions.append(el('button', {
      type: 'button', className: 'accept', textContent: suggestion.label,
      dataset: { testid: 'accept-suggestion', suggestionUuid: suggestion.uuid },
      onclick: () => {
        onAccept?.(suggestion);
        send({ outcome: 'accepted', acceptedSuggestions: [{ id: suggestion.uuid }] }, `Accepted “${suggestion.label}”`);
      },
    }));
  }
  if (!card.uuid) return actions;
  const reasons = card.overrideReasons ?? [];
  const select = el('select', { dataset: { testid: 'override-reason' }, 'aria-label': 'Reason for dismissing' },
    el('option', { value: '', textContent: 'Reason (optional)…' }),
    ...reasons.map((r, i) => el('option', { value: String(i), textContent: r.display ?? r.code })));
  const dismiss = el('button', {
    type: 'button', className: 'dismiss', textContent: 'Dismiss', dataset: { testid: 'dismiss' },
    onclick: () => {
      const reason = reasons[Number(select.value)];
      const overrideReason = select.value === '' ? undefined : { reason: { code: reason.code, system: reason.system, display: reason.display }, userComment: 'Dismissed in the gist-cds EHR simulator' };
      send({ outcome: 'overridden', ...(overrideReason ? { overrideReason } : {}) }, 'Dismissed');
    },
  });
  actions.append(el('span', { className: 'dismiss-group' }, select, dismiss));
  return actions;
}

// --- start-up -----------------------------------------------------------------------------------

function renderPatientList() {
  const filter = $('patient-filter').value.trim().toLowerCase();
  const shown = state.patients.filter((p) => !filter || `${p.title} ${p.vignette} ${p.expectedCategories.join(' ')}`.toLowerCase().includes(filter));
  $('patient-list').replaceChildren(...shown.map((patient) => el('li', {},
    el('button', {
      type: 'button', className: state.current?.key === patient.key ? 'selected' : '',
      dataset: { testid: `patient-${patient.key}`, key: patient.key },
      onclick: () => openChart(patient),
    },
    el('strong', { textContent: patient.title }),
    el('small', { textContent: patient.expectedCategories.join(', ') || 'no cards expected' })))));
}

async function start() {
  state.config = await getJson('/api/config');
  state.patients = await getJson('/api/patients');
  $('service-link').href = `${state.config.serviceBaseUrl}/cds-services`;
  $('service-link').textContent = state.config.serviceBaseUrl;
  $('rules-link').href = `${state.config.serviceBaseUrl}/rules`;
  $('patient-filter').addEventListener('input', renderPatientList);
  renderPatientList();
  try {
    const service = await serviceDefinition();
    $('discovery-status').textContent = `discovery OK: ${service.id} (${service.hook})`;
    $('discovery-status').dataset.state = 'ok';
  } catch (error) {
    $('discovery-status').textContent = `discovery failed: ${error.message}`;
    $('discovery-status').dataset.state = 'error';
  }
  document.body.dataset.ready = 'true';
}

start().catch((error) => setStatus(`Simulator failed to start: ${error.message}`, 'error'));
