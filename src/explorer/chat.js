// The demo's chat room: live messages pushed by chat.subscribe, a send box, room and nick.
import { clock, h } from './dom.js';
import { WS_PATH } from './rpc.js';
import { shell } from './snippets.js';

const MAX_CHAT = 500;

/** chatView is the demo's chat room: live messages, a send box, room and nick. */
export function chatView(rpc) {
  const nick = h('input', {
    id: 'chat-nick',
    value: `web-${Math.random().toString(36).slice(2, 6)}`,
    maxlength: '64',
    autocomplete: 'off',
  });
  const room = h('input', { id: 'chat-room', value: 'lobby', maxlength: '128', autocomplete: 'off' });
  const log = h('ol', { class: 'messages', role: 'log', 'aria-label': 'Messages' });
  const text = h('input', {
    id: 'chat-text',
    maxlength: '4096',
    autocomplete: 'off',
    placeholder: 'Say something, then Enter',
  });
  const state = h('p', { class: 'muted', id: 'chat-state' });
  const hintText = h('code');
  const seen = new Set();
  let current;

  const show = (msg) => {
    if (typeof msg !== 'object' || msg === null || seen.has(msg.id)) return;
    seen.add(msg.id);
    const at = new Date(msg.at);
    const li = h(
      'li',
      { 'data-id': msg.id },
      h('time', null, `[${clock(at)}]`),
      ' ',
      h('b', null, String(msg.nick)),
      `: ${msg.text}`,
    );
    // Keep the log in id order (a history page can land after a push).
    let after = log.lastElementChild;
    while (after !== null && Number(after.dataset.id) > msg.id) after = after.previousElementSibling;
    if (after === null) log.prepend(li);
    else after.after(li);
    while (log.childElementCount > MAX_CHAT) log.firstElementChild?.remove();
    li.scrollIntoView({ block: 'nearest' });
  };

  const join = async () => {
    const name = room.value.trim() || 'lobby';
    if (current !== undefined) rpc.unsubscribe(current.subId).catch(() => {});
    current = undefined;
    seen.clear();
    log.replaceChildren();
    state.textContent = `joining ${name}…`;
    hintText.textContent = `polyrpc chat ${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WS_PATH} ${shell(name)} --nick amy`;
    try {
      const mine = { room: name };
      current = mine;
      mine.subId = await rpc.subscribe('chat.subscribe', [name], show, (error) => {
        if (current === mine) state.textContent = `left ${name}${error ? `: ${error.message}` : ''}`;
      });
      state.textContent = `in ${name} (push over ${WS_PATH})`;
      state.dataset.room = name;
      for (const msg of await rpc.call('chat.history', [name, 0, 50])) show(msg);
    } catch (err) {
      state.textContent = `cannot join ${name}: ${err.message}`;
    }
  };

  const joinForm = h(
    'form',
    {
      class: 'chat-join',
      onsubmit: (e) => {
        e.preventDefault();
        join();
      },
    },
    h('label', { for: 'chat-room' }, 'Room'),
    room,
    h('label', { for: 'chat-nick' }, 'Nick'),
    nick,
    h('button', { type: 'submit' }, 'Join'),
  );
  const sayForm = h(
    'form',
    {
      class: 'chat-say',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = text.value;
        if (body.trim() === '' || current === undefined) return;
        try {
          show(await rpc.call('chat.send', [current.room, body, nick.value.trim() || undefined]));
          text.value = '';
        } catch (err) {
          state.textContent = `not sent: ${err.message}`;
        }
      },
    },
    h('label', { for: 'chat-text', class: 'hidden-label' }, 'Message'),
    text,
    h('button', { type: 'submit', class: 'primary' }, 'Send'),
  );
  const view = h(
    'article',
    { class: 'view chat', id: 'chat' },
    h('h2', { tabindex: '-1' }, 'Chat room'),
    h(
      'p',
      { class: 'doc' },
      'The demo chat: messages pushed by chat.subscribe, sent with chat.send. Anyone in the room sees them, whatever protocol they use.',
    ),
    joinForm,
    state,
    log,
    sayForm,
    h('p', { class: 'muted' }, 'From a terminal: ', hintText),
  );
  view.focusFirst = () => text.focus();
  view.started = false;
  view.start = () => {
    if (!view.started) join();
    view.started = true;
  };
  rpc.onReconnect.push(() => {
    if (view.started) join();
  });
  return view;
}
