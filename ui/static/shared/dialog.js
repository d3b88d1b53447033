// An accessible confirmation dialog on the native <dialog> element: it is
// modal (focus stays inside, the page behind is inert), Escape cancels, and
// focus goes back to where it was.

import { h } from '/static/shared/dom.js';

/**
 * confirm asks a yes/no question and resolves to true for yes.
 * opts: {title, text, yes, no, danger}
 */
export function confirm({ title, text, yes, no, danger = false }) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const keep = h('button', { type: 'submit', value: 'no', class: 'btn', autofocus: true, text: no });
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('form', { method: 'dialog' },
        h('h2', { id: titleId, text: title }),
        text ? h('p', { text }) : null,
        h('div', { class: 'dialog-actions' },
          keep,
          h('button', { type: 'submit', value: 'yes', class: danger ? 'btn btn-danger' : 'btn btn-primary', text: yes }))));
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (back && back.isConnected) back.focus();
      resolve(dlg.returnValue === 'yes');
    });
    document.body.append(dlg);
    dlg.showModal();
    keep.focus(); // the safe answer first: a stray tap does nothing harmful
  });
}
