/** The console's entry: restores the session, routes, and renders the page for the URL. */
import { render } from 'preact';
import './styles.css';
import { html, useEffect, useState } from './html.js';
import { onLangChange } from './i18n/index.js';
import { interceptLinks, navigate, useRoute, withQuery } from './router.js';
import { onSessionChange, session, storedRefreshToken } from './api/session.js';
import { refreshSession } from './api/client.js';
import { live } from './api/live.js';
import { installGlobalKeys } from './keys.js';
import { KeyHelp, Layout } from './components/layout.js';
import { Loading } from './components/states.js';
import { PAGES } from './pages/index.js';
import { LoginPage } from './pages/login.js';
import { ChangePasswordPage } from './pages/change-password.js';

function useRerenderOn(subscribe: (l: () => void) => () => void): void {
  const [, setN] = useState(0);
  useEffect(() => subscribe(() => setN((n) => n + 1)), []);
}

function App({ restoring }: { restoring: Promise<unknown> }) {
  const route = useRoute();
  const [ready, setReady] = useState(false);
  const [help, setHelp] = useState(false);
  useRerenderOn(onLangChange);
  useRerenderOn(onSessionChange);
  useEffect(() => {
    void restoring.finally(() => setReady(true));
    installGlobalKeys(() => setHelp((h) => !h));
    const close = (e: KeyboardEvent) => e.key === 'Escape' && setHelp(false);
    document.addEventListener('keydown', close);
    return () => document.removeEventListener('keydown', close);
  }, []);
  const user = session().user;
  // A user who must change a generated password gets nothing else, the live feed included (the server refuses it).
  const active = user !== null && !user.mustChangePassword;
  useEffect(() => {
    if (active) live.start();
    else live.stop();
  }, [user?.username, active]);
  useEffect(() => {
    if (!ready) return;
    if (!user && route.name !== 'login') navigate(withQuery('/login', { next: route.href }), { replace: true });
  }, [ready, user, route.name]);

  if (!ready) return html`<${Loading} />`;
  if (route.name === 'login' || !user) return html`<${LoginPage} route=${route} />`;
  if (user.mustChangePassword) return html`<${ChangePasswordPage} />`;
  const Page = PAGES[route.name];
  return html`<${Layout} route=${route.name}>
    <${Page} key=${route.name + JSON.stringify(route.params)} route=${route} />
    ${help ? html`<${KeyHelp} onClose=${() => setHelp(false)} />` : null}
  </${Layout}>`;
}

interceptLinks();
const restoring = storedRefreshToken() ? refreshSession() : Promise.resolve(false);
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} restoring=${restoring} />`, root);
}
