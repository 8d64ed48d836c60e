/** Which component renders each route (login is rendered outside the layout, by main.ts). */
import { html, type VNode } from '../html.js';
import { t } from '../i18n/index.js';
import type { Route, RouteName } from '../router.js';
import { PageHead } from '../components/layout.js';
import { DashboardPage } from './dashboard.js';
import { SearchPage } from './search.js';
import { TradePage } from './trade.js';
import { ExceptionsPage } from './exceptions.js';
import { ExceptionPage } from './exception.js';
import { CorrectPage } from './correct.js';
import { ReviewPage } from './review.js';
import { CorrectionPage, CorrectionsPage } from './corrections.js';
import { ReportsPage } from './reports.js';
import { SubmissionsPage } from './submissions.js';
import { AlertsPage } from './alerts.js';
import { SourcesPage } from './sources.js';
import { ModelsPage } from './models.js';
import { UsersPage } from './users.js';
import { LoginPage } from './login.js';

function NotFoundPage({ route }: { route: Route }) {
  return html`<${PageHead} title=${t('notFound.title')} /><p>${t('notFound.text', { path: route.href })}</p><p><a href="/">${t('nav.dashboard')}</a></p>`;
}

export const PAGES: Record<RouteName, (props: { route: Route }) => VNode> = {
  login: LoginPage,
  dashboard: DashboardPage,
  search: SearchPage,
  trade: TradePage,
  exceptions: ExceptionsPage,
  exception: ExceptionPage,
  correct: CorrectPage,
  review: ReviewPage,
  corrections: CorrectionsPage,
  correction: CorrectionPage,
  reports: ReportsPage,
  submissions: SubmissionsPage,
  alerts: AlertsPage,
  sources: SourcesPage,
  models: ModelsPage,
  users: UsersPage,
  notFound: NotFoundPage,
};
