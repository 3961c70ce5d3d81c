// The order screen: the clinician drafts a TKI order (drug, tablet strength, tablets per dose,
// frequency), the page fires order-select and order-sign with the draft as an EHR does (a Bundle
// of draft MedicationRequests; the dose as a tablet count, the strength in the product name), and
// applying a card's suggestion changes (update) or removes (delete) the draft.
import { $, buildPrefetch, callService, el, renderCard, serviceDefinition, state, uuid4 } from './simulator.js';

const DRUGS = { imatinib: 400, sunitinib: 50, regorafenib: 40, ripretinib: 50, avapritinib: 300 };
const DRAFT_ID = 'sim-draft-1';
const UCUM = 'http://unitsofmeasure.org';
const orders = { patient: null, draft: null, wired: false };

function draftFromForm() {
  const drug = $('order-drug').value;
  const strength = Number($('order-strength').value);
  const count = Number($('order-count').value);
  const perDay = Number($('order-frequency').value);
  return {
    resourceType: 'MedicationRequest',
    id: DRAFT_ID,
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${orders.patient.patientId}` },
    medicationCodeableConcept: { text: `${drug} ${strength} MG Oral Tablet` },
    dosageInstruction: [{
      timing: { repeat: { frequency: perDay, period: 1, periodUnit: 'd' } },
      doseAndRate: [{ doseQuantity: { value: count, unit: 'tablet', system: UCUM, code: '{tbl}' } }],
    }],
  };
}

function describe(draft) {
  if (!draft) return 'none (removed)';
  const dosage = draft.dosageInstruction?.[0] ?? {};
  const quantity = dosage.doseAndRate?.[0]?.doseQuantity ?? {};
  const perDay = dosage.timing?.repeat?.frequency;
  const how = dosage.text ?? `${quantity.value} ${quantity.unit} ${perDay === 2 ? 'twice' : 'once'} daily`;
  return `${draft.medicationCodeableConcept?.text ?? 'unnamed drug'}: ${how} (MedicationRequest/${draft.id})`;
}

function showDraft() {
  $('order-draft').textContent = describe(orders.draft);
}

function setOrderStatus(text, kind) {
  $('order-status').textContent = text;
  $('order-status').dataset.state = kind;
}

// Apply an accepted suggestion to the draft, as an EHR does: update replaces it, delete removes it.
function applySuggestion(suggestion) {
  for (const action of suggestion.actions ?? []) {
    if (action.type === 'update' && action.resource?.id === orders.draft?.id) orders.draft = action.resource;
    if (action.type === 'delete' && action.resourceId === `MedicationRequest/${orders.draft?.id}`) orders.draft = null;
  }
  showDraft();
  setOrderStatus('Suggestion applied to the draft order.', 'done');
}

async function fireOrderHook(hook) {
  if (!orders.draft) {
    setOrderStatus('No draft order: change the form to draft a new one.', 'error');
    return;
  }
  setOrderStatus(`Calling ${hook}…`, 'busy');
  $('order-cards').replaceChildren();
  try {
    await serviceDefinition();
    const service = state.discovery.services.find((s) => s.hook === hook);
    if (!service) throw new Error(`discovery lists no ${hook} service`);
    const patient = orders.patient;
    const context = {
      userId: state.config.userId,
      patientId: patient.patientId,
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: orders.draft }] },
    };
    if (hook === 'order-select') context.selections = [`MedicationRequest/${orders.draft.id}`];
    const request = {
      hook,
      hookInstance: uuid4(),
      fhirServer: state.config.fhirServer,
      fhirAuthorization: {
        access_token: state.config.accessToken, token_type: 'Bearer', expires_in: 300,
        scope: 'patient/*.read', subject: state.config.serviceId,
      },
      context,
      prefetch: await buildPrefetch(service, patient.patientId),
    };
    const answer = await callService('POST', `cds-services/${service.id}`, request);
    if (orders.patient !== patient) return;
    if (!answer.ok) throw new Error(`${hook} failed: HTTP ${answer.status}`);
    const cards = answer.json.cards ?? [];
    $('order-cards').replaceChildren(...cards.map((card) => renderCard(card, service.id, applySuggestion)));
    const signed = hook === 'order-sign' ? ' The order can be signed.' : '';
    setOrderStatus(cards.length ? `${cards.length} order alert(s) on ${hook}.` : `No order alerts on ${hook}.${signed}`, 'done');
  } catch (error) {
    setOrderStatus(String(error.message ?? error), 'error');
  }
}

function wire() {
  $('order-drug').replaceChildren(...Object.keys(DRUGS).map((d) => el('option', { value: d, textContent: d })));
  $('order-drug').addEventListener('change', () => { $('order-strength').value = DRUGS[$('order-drug').value]; });
  for (const id of ['order-drug', 'order-strength', 'order-count', 'order-frequency']) {
    $(id).addEventListener('change', () => { orders.draft = draftFromForm(); showDraft(); });
  }
  $('order-select').addEventListener('click', () => fireOrderHook('order-select'));
  $('order-sign').addEventListener('click', () => fireOrderHook('order-sign'));
  orders.wired = true;
}

export function openOrderPanel(patient) {
  if (!orders.wired) wire();
  orders.patient = patient;
  orders.draft = draftFromForm();
  $('order-panel').hidden = false;
  $('order-cards').replaceChildren();
  setOrderStatus('', 'idle');
  showDraft();
}
