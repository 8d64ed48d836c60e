/** The frame around every page: navigation (only what the user's role may see), live status, language, user. */
import { html, type ComponentChildren } from '../html.js';
import { LANGS, lang, setLang, t, type Lang, type MsgKey } from '../i18n/index.js';
import type { Role } from '../../api/contract.js';
import { hasRole, session } from '../api/session.js';
import { logout } from '../api/client.js';
import { useLiveStatus, useTopic } from '../api/live.js';
import { navigate, type RouteName } from '../router.js';

const NAV: { route: RouteName; href: string; label: MsgKey; role: Role }[] = [
  { route: 'dashboard', href: '/', label: 'nav.dashboard', role: 'viewer' },
  { route: 'search', href: '/search', label: 'nav.search', role: 'viewer' },
  { route: 'exceptions', href: '/exceptions', label: 'nav.exceptions', role: 'viewer' },
  { route: 'review', href: '/review', label: 'nav.review', role: 'viewer' },
  { route: 'corrections', href: '/corrections', label: 'nav.corrections', role: 'viewer' },
  { route: 'submissions', href: '/submissions', label: 'nav.submissions', role: 'viewer' },
  { route: 'reports', href: '/reports', label: 'nav.reports', role: 'viewer' },
  { route: 'alerts', href: '/alerts', label: 'nav.alerts', role: 'viewer' },
  { route: 'sources', href: '/sources', label: 'nav.sources', role: 'viewer' },
  { route: 'models', href: '/models', label: 'nav.models', role: 'viewer' },
  { route: 'users', href: '/users', label: 'nav.users', role: 'admin' },
];

/** Which nav entry a page belongs to (detail pages light up their list). */
const SECTION: Partial<Record<RouteName, RouteName>> = { trade: 'search', exception: 'exceptions', correct: 'exceptions', correction: 'corrections' };

function Counter({ n }: { n: number | undefined }) {
  return n ? html`<span class="count">${n}</span>` : null;
}

export function LanguageSwitch() {
  return html`<label class="lang"><span class="sr-only">${t('app.language')}</span>
    <select aria-label=${t('app.language')} value=${lang()} onChange=${(e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)}>
      ${LANGS.map((l) => html`<option value=${l}>${t(l === 'en' ? 'app.lang.en' : 'app.lang.ko')}</option>`)}
    </select></label>`;
}

export function Layout({ route, children }: { route: RouteName; children: ComponentChildren }) {
  const user = session().user;
  const status = useLiveStatus();
  const exceptions = useTopic('exceptions');
  const review = useTopic('review');
  const alerts = useTopic('alerts');
  const counts: Partial<Record<RouteName, number | undefined>> = {
    exceptions: exceptions ? exceptions.open + exceptions.correcting : undefined,
    corrections: exceptions?.correctionsPending,
    review: review?.open,
    alerts: alerts?.open,
  };
  const active = SECTION[route] ?? route;
  return html`<div class="shell">
    <a class="skip" href="#main">${t('app.skip')}</a>
    <header class="top">
      <a class="brand" href="/">swaprep <span>${t('app.console')}</span></a>
      <span class=${`live live-${status}`} title=${t(`live.${status}`)} role="status">${t(`live.${status}`)}</span>
      <span class="spacer"></span>
      <${LanguageSwitch} />
      ${user ? html`<span class="user" data-user=${user.username}>${user.username} <span class="role">${t(`role.${user.role}`)}</span></span>
        <button type="button" class="logout" onClick=${() => void logout().then(() => navigate('/login'))}>${t('action.logout')}</button>` : null}
    </header>
    <nav class="side" aria-label=${t('nav.label')}>
      <ul>${NAV.filter((n) => hasRole(n.role, user)).map((n) => html`<li key=${n.route}>
        <a href=${n.href} aria-current=${active === n.route ? 'page' : undefined}>${t(n.label)}<${Counter} n=${counts[n.route]} /></a>
      </li>`)}</ul>
      <p class="keys-hint">${t('keys.hint')}<br />${t('app.utc')}</p>
    </nav>
    <main id="main" tabindex="-1">${children}</main>
  </div>`;
}

export function PageHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return html`<div class="page-head"><h1>${title}</h1><div class="page-actions">${children}</div></div>`;
}

export function KeyHelp({ onClose }: { onClose: () => void }) {
  const keys: [string, MsgKey][] = [
    ['/', 'keys.search'], ['j / k', 'keys.move'], ['Enter', 'keys.open'], ['x', 'keys.pick'], ['Esc', 'keys.close'],
    ['g d', 'keys.goDashboard'], ['g s', 'keys.goSearch'], ['g e', 'keys.goExceptions'], ['g r', 'keys.goReview'], ['g c', 'keys.goCorrections'], ['?', 'keys.help'],
  ];
  return html`<div class="key-help" role="dialog" aria-label=${t('keys.title')} onClick=${onClose}>
    <div class="key-help-box"><h2>${t('keys.title')}</h2>
      <dl>${keys.map(([k, label]) => html`<dt><kbd>${k}</kbd></dt><dd>${t(label)}</dd>`)}</dl>
    </div></div>`;
}
