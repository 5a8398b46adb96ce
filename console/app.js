// The console's entry: the router (#/, #/p/PROJECT, #/h/HOOK, #/d/DELIVERY),
// the signed-in key, and live refresh by polling while the tab is visible.

import {get, onRefused, session} from './api.js';
import {replace} from './dom.js';
import * as views from './views.js';

const main = document.getElementById('main');
const who = document.getElementById('who');
const signOutButton = document.getElementById('sign-out');
const notice = document.getElementById('notice');

let timer = null;
let generation = 0;

const ctx = {
  me: null,
  /// Calls `refresh` every few seconds while this view is shown and the tab
  /// visible; a failure is shown once and polling goes on.
  poll(refresh) {
    const mine = generation;
    const tick = async () => {
      if (mine !== generation) return;
      if (document.visibilityState === 'visible') {
        try { await refresh(); } catch (error) { ctx.notice(views.errorText(error)); }
      }
      if (mine === generation) timer = window.setTimeout(tick, views.POLL_MS);
    };
    timer = window.setTimeout(tick, views.POLL_MS);
  },
  notice(text) {
    replace(notice, text);
  },
  signedIn() {
    showWho();
    route();
  },
};

function showWho() {
  const me = ctx.me;
  replace(who, me ? [me.label || me.keyId, me.readOnly ? ' · read-only' : ' · read-write',
    me.allProjects ? ' · all projects' : ''] : '');
  signOutButton.hidden = !me;
}

function stopPolling() {
  generation += 1;
  if (timer !== null) window.clearTimeout(timer);
  timer = null;
}

async function route() {
  stopPolling();
  replace(notice);
  if (!session.key()) {
    ctx.me = null;
    showWho();
    views.signIn(main, ctx);
    return;
  }
  const [, kind, rawId] = /^#\/(?:([phd])\/(.+))?$/.exec(window.location.hash) || [];
  const param = rawId === undefined ? '' : decodeURIComponent(rawId);
  try {
    if (!ctx.me) { ctx.me = await get('me'); showWho(); }
    if (kind === 'p') await views.hooks(main, ctx, param);
    else if (kind === 'h') await views.hook(main, ctx, param);
    else if (kind === 'd') await views.delivery(main, ctx, param);
    else await views.projects(main, ctx);
  } catch (error) {
    if (!session.key()) return;  // refused: already back at sign in
    replace(main, views.stateLine(views.errorText(error), 'error'));
  }
  main.focus({preventScroll: true});
}

onRefused(() => {
  session.signOut();
  ctx.me = null;
  stopPolling();
  showWho();
  views.signIn(main, ctx, 'The key was refused (unknown or revoked): sign in again.');
});

signOutButton.addEventListener('click', () => {
  session.signOut();
  ctx.me = null;
  window.location.hash = '#/';
  route();
});

window.addEventListener('hashchange', route);
route();
