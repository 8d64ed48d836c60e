/** Login: username and password for POST /auth/token; goes on to the page that asked for it (?next=). */
import { html, useEffect, useRef, useState } from '../html.js';
import { t } from '../i18n/index.js';
import { login } from '../api/client.js';
import { session } from '../api/session.js';
import { navigate, type Route } from '../router.js';
import { InlineError } from '../components/states.js';
import { LanguageSwitch } from '../components/layout.js';
import { ApiError } from '../api/client.js';

export function LoginPage({ route }: { route: Route }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const first = useRef<HTMLInputElement>(null);
  const next = route.query.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
  useEffect(() => {
    if (session().user) navigate(target, { replace: true });
    else first.current?.focus();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(username.trim(), password);
      navigate(target, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'unauthorized' ? new Error(t('login.failed')) : err);
      setBusy(false);
    }
  };
  return html`<div class="login-page">
    <form class="login card" onSubmit=${submit} aria-label=${t('login.title')}>
      <div class="login-head"><h1>swaprep <span>${t('app.console')}</span></h1><${LanguageSwitch} /></div>
      <p class="muted">${t('login.intro')}</p>
      <label>${t('login.username')}<input ref=${first} name="username" autocomplete="username" required value=${username}
        onInput=${(e: Event) => setUsername((e.target as HTMLInputElement).value)} /></label>
      <label>${t('login.password')}<input name="password" type="password" autocomplete="current-password" required value=${password}
        onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} /></label>
      <${InlineError} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? t('login.signingIn') : t('login.submit')}</button>
    </form>
  </div>`;
}
