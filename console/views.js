// The console's views: sign in, projects, a project's hooks, a hook with its
// deliveries, a delivery with its attempts. Each returns nothing and fills
// `main`; `ctx` carries the key's scope (`me`) and a poll registration.

import {ApiError, call, get, id, session} from './api.js';
import {badge, details, h, pretty, replace, when} from './dom.js';

const EVENTS = ['RUN_FINISH', 'RUN_START', 'RUN_TIMEOUT', 'RUN_CANCELED'];
const POLL_MS = 3000;

function errorText(error) {
  return error instanceof ApiError ? error.message : 'Unexpected error: ' + error;
}

function stateLine(text, kind = '') {
  return h('p', {class: 'state ' + kind, role: kind === 'error' ? 'alert' : null}, text);
}

/// A button that runs `action` once at a time, showing `busy` meanwhile,
/// and reports failures in `out` (an element) in words.
function actionButton(label, action, {disabled = false, why = '', out = null, testid = null, kind = ''} = {}) {
  const button = h('button', {type: 'button', class: kind, disabled, title: disabled ? why : null, 'data-testid': testid}, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    if (out) replace(out, 'Working…');
    try {
      await action(out);
    } catch (error) {
      if (out) replace(out, stateLine(errorText(error), 'error'));
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });
  return button;
}

const READ_ONLY = 'This API key is read-only';

// ---- sign in ----------------------------------------------------------------

export function signIn(main, ctx, message) {
  const input = h('input', {id: 'key', name: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'key-error', placeholder: 'rhk_…'});
  const error = h('p', {id: 'key-error', class: 'field-error', role: 'alert'}, message || '');
  const form = h('form', {class: 'card narrow', id: 'sign-in'},
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste an API key. It is kept in this tab only (sessionStorage) and sent to this server alone.'),
    h('label', {for: 'key'}, 'API key'), input, error,
    h('button', {type: 'submit', class: 'primary'}, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(error, 'Checking the key…');
    session.signIn(input.value);
    try {
      ctx.me = await get('me');
      replace(error);
      ctx.signedIn();
    } catch (failure) {
      session.signOut();
      replace(error, failure.status === 401 ? 'This key was refused: it is unknown or revoked.' : errorText(failure));
    }
  });
  replace(main, form);
  input.focus();
}

// ---- projects ---------------------------------------------------------------

export async function projects(main, ctx) {
  replace(main, h('h1', {}, 'Projects'), stateLine('Loading projects…'));
  const list = await get('projects');
  const open = h('form', {class: 'inline', id: 'open-project'},
    h('label', {for: 'project-id'}, 'Open a project by id'),
    h('input', {id: 'project-id', required: true, maxlength: 255}),
    h('button', {type: 'submit'}, 'Open'));
  open.addEventListener('submit', (event) => {
    event.preventDefault();
    window.location.hash = '#/p/' + id(open.querySelector('input').value);
  });
  replace(main, h('h1', {}, 'Projects'),
    list.length === 0
      ? stateLine('No project has hooks yet. Open one by its id to create the first.')
      : h('ul', {class: 'list', id: 'projects'}, list.map((p) =>
        h('li', {}, h('a', {href: '#/p/' + id(p.projectId)}, p.projectId)))),
    ctx.me.allProjects ? open : null);
}

// ---- the hook form (create and edit) ---------------------------------------

function hookForm(prefix, hook, submitLabel, submit, readOnly) {
  const fieldError = (name) => h('p', {id: `${prefix}-${name}-error`, class: 'field-error', 'aria-live': 'polite'});
  const errors = {url: fieldError('url'), label: fieldError('label'), hookEvents: fieldError('hookEvents'),
    headers: fieldError('headers'), form: fieldError('form')};
  const url = h('input', {id: `${prefix}-url`, name: 'url', type: 'url', value: hook ? hook.url : '',
    'aria-describedby': `${prefix}-url-error`, placeholder: 'https://example.com/hook'});
  const label = h('input', {id: `${prefix}-label`, name: 'label', value: hook && hook.label ? hook.label : '',
    'aria-describedby': `${prefix}-label-error`});
  const chosen = hook ? hook.hookEvents : [];
  const boxes = EVENTS.map((event) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', name: 'hookEvents', value: event, checked: chosen.includes(event)}), ' ', event));
  const headers = h('textarea', {id: `${prefix}-headers`, name: 'headers', rows: 2,
    'aria-describedby': `${prefix}-headers-error`, placeholder: '{"Authorization": "Bearer …"}'}, hook && hook.headers ? hook.headers : '');
  // formnovalidate: the API's own messages are the ones shown.
  const form = h('form', {class: 'hook-form', id: prefix, novalidate: true},
    h('fieldset', {disabled: readOnly, title: readOnly ? READ_ONLY : null},
      h('label', {for: url.id}, 'URL'), url, errors.url,
      h('label', {for: label.id}, 'Label (optional)'), label, errors.label,
      h('fieldset', {class: 'events'}, h('legend', {}, 'Events (none checked: every event)'), boxes), errors.hookEvents,
      h('label', {for: headers.id}, 'Custom headers, a JSON object (optional)'), headers, errors.headers,
      h('button', {type: 'submit', class: 'primary'}, submitLabel), errors.form));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    Object.values(errors).forEach((e) => replace(e));
    form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
    const body = {
      url: url.value.trim(),
      label: label.value.trim() === '' ? null : label.value,
      hookEvents: boxes.map((b) => b.querySelector('input')).filter((b) => b.checked).map((b) => b.value),
      headers: headers.value.trim() === '' ? null : headers.value,
    };
    try {
      await submit(body);
    } catch (error) {
      const field = error instanceof ApiError ? error.field : null;
      replace(errors[field || 'form'], errorText(error));
      const input = {url, label, headers}[field];
      if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
    }
  });
  return form;
}

// ---- a project's hooks -----------------------------------------------------

function hookState(hook) {
  if (hook.enabled) return badge('enabled');
  return h('span', {}, badge('disabled'), ' ', h('span', {class: 'reason'}, hook.disabledReason || 'no reason given'),
    hook.disabledAt ? ' since ' + when(hook.disabledAt) : '');
}

function lastDelivery(hook) {
  const last = hook.lastDelivery;
  if (!last) return 'none yet';
  return h('a', {href: '#/d/' + id(last.deliveryId)}, badge(last.status), ' ', when(last.at));
}

async function enable(hook) {
  return call('PUT', 'webhooks/' + id(hook.hookId), {enabled: true});
}

function hookCard(hook, ctx, refresh) {
  const out = h('div', {class: 'out', 'aria-live': 'polite'});
  const ro = ctx.me.readOnly;
  const editSlot = h('div');
  const card = h('li', {class: 'card hook', 'data-hook-id': hook.hookId},
    h('h2', {}, h('a', {href: '#/h/' + id(hook.hookId), class: 'hook-title'}, hook.label || hook.url)),
    details([
      ['URL', h('span', {class: 'url'}, hook.url)],
      ['Label', hook.label === null ? '—' : h('span', {class: 'label'}, hook.label)],
      ['Events', hook.hookEvents.length ? hook.hookEvents.join(', ') : 'every event'],
      ['State', h('span', {class: 'hook-state'}, hookState(hook))],
      ['Last delivery', h('span', {class: 'last-delivery'}, lastDelivery(hook))],
    ]),
    h('div', {class: 'actions'},
      h('a', {class: 'button', href: '#/h/' + id(hook.hookId)}, 'Deliveries'),
      actionButton('Edit', async () => {
        if (editSlot.firstChild) { replace(editSlot); replace(out); return; }
        replace(out);
        replace(editSlot, hookForm('edit-' + hook.hookId.slice(0, 8), hook, 'Save', async (body) => {
          await call('PUT', 'webhooks/' + id(hook.hookId), body);
          await refresh('Hook saved.');
        }, ro));
      }, {disabled: ro, why: READ_ONLY, out}),
      hook.enabled ? null : actionButton('Enable', async () => { await enable(hook); await refresh('Hook enabled.'); },
        {disabled: ro, why: READ_ONLY, out, testid: 'enable'}),
      deleteButton(hook, ro, out, refresh)),
    out, editSlot);
  return card;
}

function deleteButton(hook, ro, out, refresh) {
  let armed = false;
  return actionButton('Delete', async (where) => {
    if (!armed) {
      armed = true;
      replace(where, 'Press Delete again to remove this hook with its deliveries.');
      return;
    }
    await call('DELETE', 'webhooks/' + id(hook.hookId));
    await refresh('Hook deleted.');
  }, {disabled: ro, why: READ_ONLY, out, kind: 'danger'});
}

export async function hooks(main, ctx, projectId) {
  const heading = h('h1', {}, 'Hooks of ', h('span', {class: 'mono'}, projectId));
  const list = h('ul', {class: 'list', id: 'hooks', 'aria-busy': 'true'});
  const status = h('div', {'aria-live': 'polite'}, stateLine('Loading hooks…'));
  let shown = null;
  const refresh = async (message, polled = false) => {
    const items = await get('webhooks?projectId=' + id(projectId));
    const stamp = JSON.stringify(items);
    // A poll redraws only what changed, and never under a form being edited.
    if (polled && (stamp === shown || list.querySelector('form') || list.contains(document.activeElement))) return;
    shown = stamp;
    list.setAttribute('aria-busy', 'false');
    replace(status, items.length === 0 ? stateLine('No hooks in this project yet.') : null);
    replace(list, items.map((hook) => hookCard(hook, ctx, refresh)));
    if (message) ctx.notice(message);
  };
  const create = hookForm('create', null, 'Create hook', async (body) => {
    await call('POST', 'webhooks?projectId=' + id(projectId), body);
    create.reset();
    await refresh('Hook created.');
  }, ctx.me.readOnly);
  replace(main, h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Projects'), ' / ', projectId), heading, status, list,
    h('section', {class: 'card'}, h('h2', {}, 'New hook'),
      ctx.me.readOnly ? stateLine(READ_ONLY + ': it can look, not change.') : null, create));
  await refresh();
  ctx.poll(() => refresh(null, true));
}

// ---- a hook and its deliveries --------------------------------------------

function secretControls(hook, ctx) {
  const ro = ctx.me.readOnly;
  const shown = h('div', {class: 'out', 'aria-live': 'polite', id: 'secret-out'});
  const show = (data) => replace(shown, 'Signing secret: ', h('code', {class: 'secret'}, data.secret));
  return h('div', {class: 'actions'},
    actionButton('Reveal secret', async () => show(await get('webhooks/' + id(hook.hookId) + '/secret')),
      {disabled: ro, why: READ_ONLY, out: shown, testid: 'reveal-secret'}),
    actionButton('Rotate secret', async () => {
      const doc = await call('POST', 'webhooks/' + id(hook.hookId) + '/secret/rotate');
      show(doc.data);
      append_note(shown, 'The old secret keeps signing for 24 hours.');
    }, {disabled: ro, why: READ_ONLY, out: shown, testid: 'rotate-secret'}),
    shown);
}

function append_note(el, text) { el.append(h('p', {class: 'hint'}, text)); }

function testControls(hook, ctx) {
  const out = h('div', {class: 'out', 'aria-live': 'polite', id: 'test-out'});
  // The hook's own events first: a test of one it does not take is allowed
  // (the API sends it anyway) but rarely what is meant.
  const events = [...hook.hookEvents, ...EVENTS.filter((event) => !hook.hookEvents.includes(event))];
  const choice = h('select', {id: 'test-event', disabled: ctx.me.readOnly},
    ...events.map((event) => h('option', {value: event}, event)));
  return h('div', {class: 'actions'}, h('label', {for: 'test-event'}, 'Test event'), choice,
    actionButton('Send test event', async () => {
      replace(out, 'Sending a test ' + choice.value + ', waiting up to 10 s for the answer…');
      const doc = await call('POST', 'webhooks/' + id(hook.hookId) + '/test?wait=10', {event: choice.value});
      const attempt = doc.data.attempt;
      if (!attempt) {
        replace(out, 'Stored; no attempt within 10 s. It will still be sent: ',
          h('a', {href: '#/d/' + id(doc.data.deliveryId)}, 'follow it'));
        return;
      }
      replace(out, 'Test ' + choice.value + ': ', badge(attempt.outcome === 'succeeded' ? 'succeeded' : 'failed'), ' ',
        attempt.statusCode === null ? attempt.outcome : 'HTTP ' + attempt.statusCode, ' in ', attempt.durationMs, ' ms',
        attempt.error ? ' (' + attempt.error + ')' : '', ' — ', h('a', {href: '#/d/' + id(doc.data.deliveryId)}, 'details'));
    }, {disabled: ctx.me.readOnly, why: READ_ONLY, out, testid: 'send-test'}), out);
}

function recoverControls(hook, ctx, onDone) {
  const out = h('div', {class: 'out', 'aria-live': 'polite'});
  const since = h('input', {id: 'recover-since', type: 'datetime-local', step: 1,
    value: new Date(Date.now() - 3600e3 - new Date().getTimezoneOffset() * 60e3).toISOString().slice(0, 19)});
  const ro = ctx.me.readOnly;
  return h('div', {class: 'actions'},
    h('label', {for: since.id}, 'Failed since (your time)'), since,
    actionButton('Recover failed since…', async () => {
      const at = new Date(since.value);
      if (Number.isNaN(at.getTime())) throw new ApiError(0, 'Pick a date and time first.');
      const doc = await call('POST', 'webhooks/' + id(hook.hookId) + '/recover', {since: at.toISOString()});
      replace(out, doc.data.count + ' failed deliver' + (doc.data.count === 1 ? 'y' : 'ies') + ' queued again.');
      onDone();
    }, {disabled: ro, why: READ_ONLY, out}), out);
}

function deliveryRow(d) {
  return h('tr', {'data-delivery-id': d.deliveryId, class: 'delivery-row'},
    h('td', {}, h('a', {href: '#/d/' + id(d.deliveryId)}, d.event)),
    h('td', {class: 'delivery-status'}, badge(d.status)),
    h('td', {class: 'num'}, d.attempts),
    h('td', {}, when(d.createdAt)),
    h('td', {class: 'wrap'}, d.lastError || '—'));
}

export async function hook(main, ctx, hookId) {
  replace(main, stateLine('Loading the hook…'));
  let current = await get('webhooks/' + id(hookId));
  const head = h('div');
  const drawHead = () => replace(head,
    h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Projects'), ' / ',
      h('a', {href: '#/p/' + id(current.projectId)}, current.projectId), ' / hook'),
    h('h1', {}, current.label || current.url),
    details([
      ['URL', h('span', {class: 'url'}, current.url)],
      ['Events', current.hookEvents.length ? current.hookEvents.join(', ') : 'every event'],
      ['State', h('span', {class: 'hook-state', id: 'hook-state'}, hookState(current))],
      ['Hook id', h('span', {class: 'mono'}, current.hookId)],
    ]),
    current.enabled ? null : h('div', {class: 'actions'}, actionButton('Enable', async () => {
      current = (await enable(current)).data;
      drawHead();
      ctx.notice('Hook enabled.');
    }, {disabled: ctx.me.readOnly, why: READ_ONLY, testid: 'enable'})));
  drawHead();

  const filter = h('select', {id: 'status-filter'},
    ['all', 'pending', 'succeeded', 'failed'].map((s) => h('option', {value: s === 'all' ? '' : s}, s)));
  const body = h('tbody', {id: 'deliveries'});
  const status = h('div', {'aria-live': 'polite'});
  const more = h('button', {type: 'button', hidden: true}, 'Load older deliveries');
  let items = [];
  let cursor = null;
  const query = (after) => 'webhooks/' + id(hookId) + '/deliveries?limit=25' +
    (filter.value ? '&status=' + filter.value : '') + (after ? '&cursor=' + id(after) : '');
  let drawn = null;
  const draw = () => {
    const stamp = JSON.stringify(items) + cursor;
    if (stamp === drawn) return;
    drawn = stamp;
    replace(body, items.map(deliveryRow));
    replace(status, items.length === 0 ? stateLine('No deliveries' + (filter.value ? ' ' + filter.value : '') + ' yet.') : null);
    more.hidden = !cursor;
  };
  const first = async () => {
    const doc = await call('GET', query(null));
    const fresh = new Map(doc.data.map((d) => [d.deliveryId, d]));
    const kept = items.filter((d) => !fresh.has(d.deliveryId) && !filter.value);
    if (items.length <= doc.data.length) cursor = doc.nextCursor;
    items = [...doc.data, ...kept.filter((d) => d.deliveryId < (doc.data.at(-1) || {deliveryId: ''}).deliveryId)];
    draw();
  };
  filter.addEventListener('change', () => { items = []; cursor = null; drawn = null; replace(status, stateLine('Loading…')); first().catch(show); });
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const doc = await call('GET', query(cursor));
      items = items.concat(doc.data);
      cursor = doc.nextCursor;
      draw();
    } catch (error) { show(error); } finally { more.disabled = false; }
  });
  const show = (error) => replace(status, stateLine(errorText(error), 'error'));

  replace(main, head,
    h('section', {class: 'card'}, h('h2', {}, 'Actions'), testControls(current, ctx),
      recoverControls(current, ctx, () => first().catch(show)), secretControls(current, ctx)),
    h('section', {class: 'card'},
      h('h2', {}, 'Deliveries ', h('span', {class: 'hint'}, '(newest first, live)')),
      h('p', {class: 'inline'}, h('label', {for: 'status-filter'}, 'Status'), filter),
      h('div', {class: 'scroll'}, h('table', {class: 'deliveries'},
        h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Created', 'Last error'].map((t) => h('th', {scope: 'col'}, t)))),
        body)),
      status, more));
  replace(status, stateLine('Loading deliveries…'));
  await first();
  ctx.poll(async () => {
    await first();
    const fresh = await get('webhooks/' + id(hookId));
    if (fresh.updatedAt !== current.updatedAt) { current = fresh; drawHead(); }
  });
}

// ---- a delivery ------------------------------------------------------------

function headerLines(headers) {
  if (!headers) return '—';
  return h('pre', {class: 'headers'}, Object.entries(headers).map(([name, value]) => name + ': ' + value).join('\n'));
}

function attemptView(a, index, total) {
  const ok = a.outcome === 'succeeded';
  return h('li', {class: 'card attempt ' + (ok ? 'ok' : 'bad'), 'data-attempt-id': a.attemptId},
    h('h3', {}, 'Attempt ', total - index, ': ', badge(ok ? 'succeeded' : 'failed'), ' ',
      a.statusCode === null ? a.outcome : 'HTTP ' + a.statusCode + (ok ? '' : ' (' + a.outcome + ')')),
    details([
      ['At', when(a.attemptedAt)],
      ['Trigger', a.trigger],
      ['Duration', a.durationMs + ' ms'],
      ['Error', a.error || '—'],
    ]),
    h('details', {open: !ok || index === 0},
      h('summary', {}, 'Request and response'),
      h('h4', {}, 'Request'),
      a.request ? [details([['URL', h('span', {class: 'url'}, a.request.url)]]), headerLines(a.request.headers),
        h('pre', {class: 'body request-body'}, pretty(a.request.body))] : stateLine('No request was made.'),
      h('h4', {}, 'Response'),
      a.response ? [headerLines(a.response.headers),
        h('pre', {class: 'body response-body'}, a.response.body === '' ? '(empty body)' : pretty(a.response.body)),
        a.response.truncated ? stateLine('Cut short: the response was larger than runhooks keeps.') : null]
        : stateLine('No response was read.')));
}

export async function delivery(main, ctx, deliveryId) {
  replace(main, stateLine('Loading the delivery…'));
  const summary = h('div');
  const attempts = h('ol', {class: 'list attempts', id: 'attempts', reversed: true});
  const out = h('div', {class: 'out', 'aria-live': 'polite'});
  let seen = '';
  const load = async () => {
    const [d, list] = await Promise.all([get('deliveries/' + id(deliveryId)), get('deliveries/' + id(deliveryId) + '/attempts')]);
    const stamp = d.status + d.attempts + list.length;
    if (stamp === seen) return;
    seen = stamp;
    replace(summary,
      h('p', {class: 'crumbs'}, h('a', {href: '#/p/' + id(d.projectId)}, d.projectId), ' / ',
        h('a', {href: '#/h/' + id(d.hookId)}, 'hook'), ' / delivery'),
      h('h1', {}, d.event, ' ', h('span', {id: 'delivery-status'}, badge(d.status))),
      details([
        ['Delivery id', h('span', {class: 'mono'}, d.deliveryId)],
        ['webhook-id', h('span', {class: 'mono'}, d.webhookId)],
        ['Attempts', d.attempts],
        ['Created', when(d.createdAt)],
        d.nextAttemptAt ? ['Next attempt', when(d.nextAttemptAt)] : null,
        ['Completed', when(d.completedAt)],
        ['Last error', d.lastError || '—'],
      ]));
    replace(attempts, list.length === 0 ? stateLine('No attempt yet.') : list.map((a, i) => attemptView(a, i, list.length)));
    replace(payload, pretty(d.payload));
  };
  const payload = h('pre', {class: 'body', id: 'payload'});
  replace(main, summary,
    h('div', {class: 'actions'}, actionButton('Redeliver', async () => {
      await call('POST', 'deliveries/' + id(deliveryId) + '/redeliver');
      replace(out, 'Queued again: it is sent as soon as a worker is free.');
      await load();
    }, {disabled: ctx.me.readOnly, why: READ_ONLY, out, testid: 'redeliver', kind: 'primary'})), out,
    h('section', {class: 'card'}, h('h2', {}, 'Payload'), payload),
    h('section', {}, h('h2', {}, 'Attempts ', h('span', {class: 'hint'}, '(newest first)')), attempts));
  await load();
  ctx.poll(load);
}

export {POLL_MS, errorText, stateLine};
