/**
 * First login with a password the engine generated (the first admin's): the server refuses everything but this
 * change, so the console shows only this form (and logging out) until it is done.
 */
import { html, useEffect, useRef, useState } from '../html.js';
import { t } from '../i18n/index.js';
import { ApiError, changePassword, logout } from '../api/client.js';
import { session } from '../api/session.js';
import { navigate } from '../router.js';
import { InlineError } from '../components/states.js';
import { LanguageSwitch } from '../components/layout.js';

const MIN_LENGTH = 12;

export function ChangePasswordPage() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (next.length < MIN_LENGTH) return setError(new Error(t('password.tooShort')));
    if (next !== again) return setError(new Error(t('password.mismatch')));
    setBusy(true);
    setError(undefined);
    try {
      await changePassword(current, next); // the session now holds a user without the flag: the app renders
    } catch (err) {
      setError(err instanceof ApiError && err.field === 'currentPassword' ? new Error(t('password.wrongCurrent')) : err);
      setBusy(false);
    }
  };
  const input = (name: string, label: string, value: string, set: (v: string) => void, autocomplete: string, ref?: unknown) =>
    html`<label>${label}<input ref=${ref} name=${name} type="password" autocomplete=${autocomplete} required value=${value}
      onInput=${(e: Event) => set((e.target as HTMLInputElement).value)} /></label>`;
  return html`<div class="login-page">
    <form class="login card" onSubmit=${submit} aria-label=${t('password.title')}>
      <div class="login-head"><h1>${t('password.title')}</h1><${LanguageSwitch} /></div>
      <p class="muted">${t('password.intro')}</p>
      <p class="user" data-user=${session().user?.username}>${session().user?.username}</p>
      ${input('currentPassword', t('password.current'), current, setCurrent, 'current-password', first)}
      ${input('newPassword', t('password.new'), next, setNext, 'new-password')}
      ${input('confirmPassword', t('password.confirm'), again, setAgain, 'new-password')}
      <${InlineError} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? t('password.saving') : t('password.submit')}</button>
      <button type="button" class="logout" onClick=${() => void logout().then(() => navigate('/login'))}>${t('action.logout')}</button>
    </form>
  </div>`;
}
