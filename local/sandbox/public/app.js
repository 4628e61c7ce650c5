// The sandbox page: renders the simulators' state pushed over Server-Sent Events and drives them
// through the small JSON API under /sandbox/api.

const $ = (id) => document.getElementById(id);
let state = { users: [], visitors: [], faults: {} };
let selectedUser = null;
let selectedVisitor = null;

async function api(path, body) {
  const res = await fetch(`/sandbox/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  if (!res.ok && res.status !== 409) {
    const err = await res.json().catch(() => ({}));
    alert(`Sandbox: ${err.desc || res.status}`);
  }
  return res;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

// Where the simulated service stands with delivering this line to the bridge (not to the other person).
const STATUS_MARK = {
  sending: '… sending',
  retrying: '↻ retrying',
  queued: '‖ queued',
  delivered: '✓ delivered',
  refused: '✗ refused (503)',
  not_delivered: '⚠ not delivered',
  read: '✓✓ read by the account',
};
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const shortId = (id) => (typeof id === 'string' && id.length > 12 ? `${id.slice(0, 8)}…` : id);

function fillChat(container, lines, sideOf, emptyText) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.replaceChildren();
  if (!lines.length) container.append(el('p', { class: 'empty' }, emptyText));
  for (const line of lines) {
    const meta = [clock(line.time)];
    if (line.status) meta.push(STATUS_MARK[line.status]);
    const buttons = line.buttons
      ? [
          el(
            'div',
            { class: 'buttons-row' },
            ...line.buttons.map((row) =>
              el(
                'div',
                { class: 'kb-row' },
                ...row.map((b) =>
                  el(
                    'button',
                    {
                      type: 'button',
                      class: 'kb',
                      'data-testid': 'tg-button',
                      onclick: () => api(`users/${selectedUser}/press`, { lineId: line.id, data: b.data }),
                    },
                    b.text,
                  ),
                ),
              ),
            ),
          ),
        ]
      : [];
    container.append(
      el(
        'div',
        { class: `msg ${sideOf(line)}`, 'data-testid': `${container.id}-line`, 'data-from': line.from, 'data-status': line.status },
        ...(line.file ? [fileView(container.id, line.file)] : []),
        line.text,
        ...buttons,
        ...reactionsOf(container.id, line),
        el('small', { class: line.status || '' }, meta.join(' · ')),
      ),
    );
  }
  if (atBottom) {
    container.scrollTop = container.scrollHeight;
    // An image that loads later makes the chat taller: keep following the newest message.
    for (const img of container.querySelectorAll('img')) {
      if (!img.complete) img.addEventListener('load', () => (container.scrollTop = container.scrollHeight), { once: true });
    }
  }
}

/** The emoji the simulated user can react to the bot's messages with (each sends message_reaction). */
const USER_REACTIONS = ['👍', '👎', '❤'];

/**
 * Reactions in a Telegram line: the bot's on the user's message (DELIVERY_REACTION: the desk has
 * it), and on a bot message the user's own, which a click sets, changes or takes back.
 */
function reactionsOf(containerId, line) {
  if (containerId !== 'tg-chat') return [];
  if (line.from === 'user')
    return line.botReaction
      ? [el('span', { class: 'reaction', 'data-testid': 'tg-bot-reaction', title: 'the bot reacted' }, line.botReaction)]
      : [];
  return [
    el(
      'div',
      { class: 'reactions' },
      ...USER_REACTIONS.map((emoji) =>
        el(
          'button',
          {
            type: 'button',
            class: `react${line.userReaction === emoji ? ' on' : ''}`,
            'data-testid': 'tg-react',
            'aria-pressed': String(line.userReaction === emoji),
            title: line.userReaction === emoji ? 'take the reaction back' : 'react',
            onclick: () => api(`users/${selectedUser}/react`, { lineId: line.id, emoji: line.userReaction === emoji ? '' : emoji }),
          },
          emoji,
        ),
      ),
    ),
  ];
}

/** A file in a chat line: images inline, anything else as a link that downloads it. */
function fileView(where, file) {
  if (file.mediaType.startsWith('image/')) {
    return el(
      'a',
      { href: file.url, target: '_blank', class: 'file' },
      el('img', { src: file.url, alt: file.name, 'data-testid': `${where}-image`, loading: 'lazy' }),
    );
  }
  return el('a', { href: file.url, download: file.name, class: 'file', 'data-testid': `${where}-file` }, `+ ${file.name}`);
}

// One person at a time: the Telegram pane and the desk show the same user. A visitor the bridge
// made for a Telegram chat carries that chat's id; picking either side picks the other.
const visitorOfUser = (chatId) => state.visitors.find((v) => v.chatId === chatId);
function selectUser(chatId) {
  selectedUser = chatId;
  selectedVisitor = visitorOfUser(chatId)?.visitorId ?? null;
  render();
}
function selectVisitor(visitorId) {
  selectedVisitor = visitorId;
  const visitor = state.visitors.find((v) => v.visitorId === visitorId);
  if (visitor?.chatId !== undefined && state.users.some((u) => u.chatId === visitor.chatId)) selectedUser = visitor.chatId;
  render();
}

function render() {
  if (selectedUser === null && state.users.length) selectedUser = state.users[0].chatId;
  // The desk follows the user written as (their visitor appears with their first message).
  const linked = visitorOfUser(selectedUser);
  if (linked) selectedVisitor = linked.visitorId;
  else if (state.visitors.find((v) => v.visitorId === selectedVisitor)?.chatId !== undefined) selectedVisitor = null;
  const tabs = $('user-tabs');
  tabs.replaceChildren(
    ...state.users.map((u) =>
      el(
        'button',
        {
          type: 'button',
          'aria-pressed': String(u.chatId === selectedUser),
          'data-testid': `user-tab-${u.chatId}`,
          onclick: () => selectUser(u.chatId),
        },
        `${u.firstName}${u.languageCode ? ` · ${u.languageCode}` : ''}${u.blockedBot ? ' 🚫' : ''}`,
      ),
    ),
  );
  const user = state.users.find((u) => u.chatId === selectedUser);
  fillChat($('tg-chat'), user ? user.lines : [], (l) => l.from, 'Say /start or write something.');
  $('fault-blocked').checked = !!user?.blockedBot;
  $('tg-language').value = user?.languageCode ?? '';

  const visitors = state.visitors;
  if (!visitors.some((v) => v.visitorId === selectedVisitor)) selectedVisitor = null;
  $('visitor-list').replaceChildren(
    ...visitors.map((v) =>
      el(
        'button',
        {
          type: 'button',
          'aria-pressed': String(v.visitorId === selectedVisitor),
          'data-testid': 'visitor',
          'data-visitor-id': v.visitorId,
          title: v.visitorId,
          onclick: () => selectVisitor(v.visitorId),
        },
        `${v.name || 'Visitor'}${v.login ? ` @${v.login}` : ''}${v.language ? ` · ${v.language}` : ''}${v.startParam ? ` · from ${v.startParam}` : ''}${v.businessAccount ? ` · via ${v.businessAccount.replace(/^Telegram Business account /, 'Business ')}` : ''} (${v.lines.filter((l) => l.from === 'visitor').length})`,
      ),
    ),
  );
  const visitor = visitors.find((v) => v.visitorId === selectedVisitor);
  fillChat(
    $('desk-chat'),
    visitor ? visitor.lines : [],
    (l) => l.from,
    user
      ? `${user.firstName} has not written yet: the desk shows them once they do.`
      : 'No visitors yet. Write something as a Telegram user.',
  );
  $('desk-input').disabled = !visitor;
  document.querySelector('[data-testid="desk-send"]').disabled = !visitor;
  $('desk-file').disabled = !visitor;
  $('desk-close').disabled = !visitor;
  $('desk-buttons').disabled = !visitor;

  $('fault-webim-down').checked = !!state.faults.webimDown;
  $('fault-rate-limit').checked = !!state.faults.telegramRateLimit;
  $('fault-telegram-down').checked = !!state.faults.telegramDown;
}

const LOG_FIELDS = [
  'route',
  'status',
  'outcome',
  'method',
  'media_type',
  'size',
  'update_id',
  'chat_id',
  'visitor_id',
  'webim_message_id',
  'attempt',
  'created',
  'reason',
  'error_class',
  'retry_after_s',
  'waitMs',
  'duplicate',
  'parts',
  'will_retry',
];

function appendLog(event) {
  if (event.level === 'debug') return;
  const details = LOG_FIELDS.filter((f) => event[f] !== undefined && event[f] !== false)
    .map((f) => `${f}=${f === 'visitor_id' ? shortId(event[f]) : event[f]}`)
    .join(' ');
  const statusClass = event.status !== undefined ? `s${String(event.status)[0]}` : '';
  const row = el(
    'li',
    { 'data-source': event.source, 'data-kind': event.kind, 'data-status': event.status, 'data-outcome': event.outcome },
    el('span', { class: 'time' }, clock(event.time)),
    el('span', { class: `src ${event.source}` }, event.source),
    el('span', { class: statusClass }, `${event.kind} ${details}`),
  );
  const log = $('event-log');
  log.prepend(row);
  while (log.children.length > 400) log.lastChild.remove();
}

function connect() {
  const events = new EventSource('/sandbox/events');
  events.addEventListener('state', (e) => {
    state = JSON.parse(e.data);
    render();
    renderBusiness();
    scheduleStats();
  });
  events.addEventListener('log', (e) => appendLog(JSON.parse(e.data)));
  events.onerror = () => {
    /* EventSource reconnects by itself */
  };
}

$('tg-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $('tg-input');
  if (!input.value.trim() || selectedUser === null) return;
  const text = input.value;
  input.value = '';
  await api(`users/${selectedUser}/messages`, { text });
});
$('tg-start').addEventListener('click', () => selectedUser !== null && api(`users/${selectedUser}/messages`, { text: '/start' }));
$('desk-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $('desk-input');
  if (!input.value.trim() || !selectedVisitor) return;
  const text = input.value;
  input.value = '';
  await api(`visitors/${encodeURIComponent(selectedVisitor)}/replies`, { text });
});
$('tg-file').addEventListener('change', async (e) => {
  const sample = e.target.value;
  e.target.value = '';
  if (!sample || selectedUser === null) return;
  const text = $('tg-input').value.trim();
  $('tg-input').value = '';
  await api(`users/${selectedUser}/files`, { sample, ...(text ? { text } : {}) });
});
$('desk-file').addEventListener('change', async (e) => {
  const sample = e.target.value;
  e.target.value = '';
  if (!sample || !selectedVisitor) return;
  const text = $('desk-input').value.trim();
  $('desk-input').value = '';
  await api(`visitors/${encodeURIComponent(selectedVisitor)}/files`, { sample, ...(text ? { text } : {}) });
});
$('tg-start-link').addEventListener(
  'click',
  () => selectedUser !== null && api(`users/${selectedUser}/messages`, { text: '/start spring-sale-7' }),
);
$('desk-buttons').addEventListener('click', () => {
  if (!selectedVisitor) return;
  const text = $('desk-input').value.trim() || 'Did this solve your problem?';
  $('desk-input').value = '';
  api(`visitors/${encodeURIComponent(selectedVisitor)}/keyboard`, { text });
});
$('desk-close').addEventListener('click', () => selectedVisitor && api(`visitors/${encodeURIComponent(selectedVisitor)}/close`));
$('add-user').addEventListener('click', async () => {
  const name = prompt('First name of the new Telegram user', 'Alex');
  if (!name) return;
  const res = await api('users', {
    firstName: name,
    username: name.toLowerCase().replace(/\W/g, '').slice(0, 32),
    languageCode: 'ru',
  });
  if (res.ok) selectUser((await res.json()).chatId);
});
$('tg-language').addEventListener(
  'change',
  (e) => selectedUser !== null && api(`users/${selectedUser}/language`, { languageCode: e.target.value || null }),
);
$('fault-blocked').addEventListener(
  'change',
  (e) => selectedUser !== null && api(`users/${selectedUser}/blocked`, { blocked: e.target.checked }),
);
$('fault-webim-down').addEventListener('change', (e) => api('faults', { webimDown: e.target.checked }));
$('fault-rate-limit').addEventListener('change', (e) => api('faults', { telegramRateLimit: e.target.checked }));
$('fault-telegram-down').addEventListener('change', (e) => api('faults', { telegramDown: e.target.checked }));
$('dup-update').addEventListener('click', () => api('duplicate', { target: 'update' }));
$('dup-callback').addEventListener('click', () => api('duplicate', { target: 'callback' }));

connect();

// ---------- delivery statistics panel ----------
const OUTCOMES = ['relayed', 'duplicate', 'deferred', 'failed', 'blocked', 'ignored', 'configuration_error'];
const DIRS = [
  ['telegram_to_webim', 'Telegram → Webim', '#2aabee'],
  ['webim_to_telegram', 'Webim → Telegram', '#ff7a1a'],
];
let statsTimer = null;

function renderStats(report) {
  const day = report.windows[0];
  const SHORT = {
    relayed: 'ok',
    duplicate: 'dup',
    deferred: '503',
    failed: 'lost',
    blocked: 'blk',
    ignored: 'ign',
    configuration_error: 'cfg',
  };
  const head = el('tr', {}, el('th', {}, ''), ...OUTCOMES.map((o) => el('th', { scope: 'col', title: o }, SHORT[o])));
  const rows = DIRS.map(([d, label]) =>
    el(
      'tr',
      { 'data-direction': d },
      el('th', { scope: 'row' }, label),
      ...OUTCOMES.map((o) => el('td', { 'data-outcome': o, title: o }, String(day.counts[d][o]))),
    ),
  );
  $('stats-table').replaceChildren(head, ...rows);
  // Inline SVG: one stacked bar per hour, no chart library.
  const max = Math.max(1, ...report.hourly.map((h) => h.telegram_to_webim + h.webim_to_telegram));
  const w = 240,
    h = 48,
    bw = w / 24;
  const bars = report.hourly.flatMap((hr, i) => {
    const a = (hr.telegram_to_webim / max) * h,
      b = (hr.webim_to_telegram / max) * h;
    return [
      `<rect data-testid="stats-bar" x="${(i * bw + 1).toFixed(1)}" y="${(h - a).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${a.toFixed(1)}" fill="${DIRS[0][2]}"><title>${hr.hour.slice(11, 16)} UTC: ${hr.telegram_to_webim} → Webim</title></rect>`,
      `<rect x="${(i * bw + 1).toFixed(1)}" y="${(h - a - b).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${b.toFixed(1)}" fill="${DIRS[1][2]}"><title>${hr.hour.slice(11, 16)} UTC: ${hr.webim_to_telegram} → Telegram</title></rect>`,
    ];
  });
  $('stats-chart').innerHTML = `<svg viewBox="0 0 ${w} ${h}" width="100%" height="${h}" role="img">${bars.join('')}</svg>`;
  // The ratings users gave when a chat was closed (last 7 days), as `npm run stats` prints them.
  const week = report.ratings?.week;
  let ratings = $('stats-ratings');
  if (!ratings) {
    ratings = el('p', { id: 'stats-ratings', 'data-testid': 'stats-ratings', class: 'stats-ratings' });
    $('stats-chart').after(ratings);
  }
  ratings.textContent = week?.count
    ? `Ratings, 7 days: ${week.count}, average ${week.average.toFixed(1)} of 5 (${week.byScore.map((n, i) => `${i + 1}⭐ ${n}`).join(', ')})`
    : 'Ratings, 7 days: none yet';
}

async function refreshStats() {
  const res = await fetch('/sandbox/api/stats');
  if (res.ok) renderStats(await res.json());
}

/** Re-reads the statistics shortly after the page's state changes (coalesced). */
function scheduleStats() {
  clearTimeout(statsTimer);
  statsTimer = setTimeout(() => void refreshStats(), 300);
}
refreshStats();

// Telegram Business: the selected user's chat with the sandbox's business account, and its connection.
function renderBusiness() {
  const business = state.business;
  if (!business) return;
  $('biz-connect').textContent = business.connected ? `Disconnect @${business.owner.username}` : `Connect @${business.owner.username}`;
  const chat = business.chats.find((c) => c.chatId === selectedUser);
  const lines = (chat?.lines ?? []).map((l) => ({ ...l, status: l.read ? 'read' : l.status }));
  fillChat(
    $('biz-chat'),
    lines,
    (l) => l.from,
    business.connected ? 'No messages with the account yet.' : 'The account has not connected the bot.',
  );
}
$('biz-connect').addEventListener('click', () =>
  state.business?.connected ? api('business/disconnect') : api('business/connect', { canReply: $('biz-can-reply').checked }),
);
const writeToBusiness = (as) => {
  const input = $('biz-input');
  if (!input.value.trim() || selectedUser === null) return;
  void api(`business/chats/${selectedUser}/${as}`, { text: input.value });
  input.value = '';
};
$('biz-form').addEventListener('submit', (e) => {
  e.preventDefault();
  writeToBusiness('customer');
});
$('biz-send-owner').addEventListener('click', () => writeToBusiness('owner'));
