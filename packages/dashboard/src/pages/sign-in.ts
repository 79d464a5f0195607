import { h } from '../ui/dom.ts';

/**
 * The key form. `onKey` checks the key against the API (GET /v1/session) and resolves to an
 * error message when it is refused.
 */
export function signInPage(onKey: (key: string) => Promise<string | null>): HTMLElement {
  const input = h('input', { id: 'key', type: 'password', autocomplete: 'off', required: true, placeholder: 'rw_…', spellcheck: false });
  const error = h('p', { className: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', textContent: 'Sign in' });
  const form = h(
    'form',
    { id: 'sign-in', className: 'card sign-in' },
    h('h1', { textContent: 'riverwatch' }),
    h('label', { htmlFor: 'key', textContent: 'API key' }),
    input,
    submit,
    error,
    h('p', { className: 'muted', textContent: 'The key stays in this tab (session storage) and is sent only in the Authorization header.' }),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    void onKey(input.value.trim()).then((message) => {
      submit.disabled = false;
      if (message) error.textContent = message;
    });
  });
  return form;
}
