/**
 * The console's server side in one start call for the composition root: authentication (and the first admin),
 * the trade projector, the live state ticker, the WebSocket hub, and the routes installer for the HTTP server.
 */
import { AuthService } from './auth/service.js';
import { RefreshTokenPurge } from './auth/token-purge.js';
import { DataVersion } from './data-version.js';
import type { ConsoleDeps } from './deps.js';
import { LiveState } from './live.js';
import { TradeProjector } from './projector.js';
import { startProjectorThread, type RunningProjector } from './projector-on-thread.js';
import { installConsoleRoutes } from './routes.js';
import { WsHub, type WsHubOptions } from './ws-hub.js';
import type { TemplatedApp } from 'uws-pack';

export interface RunningConsole {
  /** Installs /auth/*, /api/* and /ws on the engine's HTTP server (pass to listenHttp's `routes`). */
  routes: (app: TemplatedApp) => void;
  auth: AuthService;
  /** Deletes expired refresh tokens at start and every `refreshTokenPurgeS`. */
  tokenPurge: RefreshTokenPurge;
  hub: WsHub;
  live: LiveState;
  dataVersion: DataVersion;
  /** The password of user admin when this start created it (printed once by the caller). */
  adminPassword: string | undefined;
  /** The trade projection's lag, and how long it has had events waiting with none applied (for /healthz). */
  projection(): { lagEvents: number; stalledForMs: number };
  stop(): Promise<void>;
}

export async function startConsole(deps: ConsoleDeps, wsOptions?: WsHubOptions): Promise<RunningConsole> {
  const auth = new AuthService(deps.pool, deps.config, deps.clock);
  const { adminPassword } = await auth.init();
  const tokenPurge = new RefreshTokenPurge(() => auth.purgeRefreshTokens(), deps.config.refreshTokenPurgeS * 1000);
  tokenPurge.start();
  const dataVersion = new DataVersion();
  const hub = new WsHub(auth, wsOptions);
  const live = new LiveState(deps, dataVersion, (topic, data) => hub.publish(topic, data), () => hub.clientCount > 0);
  let lagEvents = 0;
  let lastProgressAt = Date.now();
  const onPass = (events: number, lag: number) => {
    lagEvents = lag;
    if (events > 0 || lag === 0) lastProgressAt = Date.now();
    if (events > 0) dataVersion.bump();
    deps.metrics?.projectedEvents.inc(events);
    deps.metrics?.projectionLag.set(lag);
  };
  let projector: RunningProjector | undefined;
  if (deps.projector !== false) projector = deps.databaseUrl !== undefined ? startProjectorThread(deps.databaseUrl, onPass) : startInlineProjector(deps.pool, onPass);
  live.start(deps.tickMs ?? 1000);
  return {
    routes: (app) => {
      installConsoleRoutes(app, { deps, auth, live, version: dataVersion });
      hub.install(app);
    },
    auth, tokenPurge, hub, live, dataVersion, adminPassword,
    projection: () => ({ lagEvents, stalledForMs: lagEvents > 0 ? Date.now() - lastProgressAt : 0 }),
    stop: async () => {
      hub.closeAll();
      await tokenPurge.stop();
      await live.stop();
      await projector?.stop();
    },
  };
}

/** The projector on the caller's thread (a console given only a pool: tests of the API). */
function startInlineProjector(pool: ConsoleDeps['pool'], onPass: (events: number, lag: number) => void): RunningProjector {
  const projector = new TradeProjector(pool);
  projector.onPass = onPass;
  projector.start();
  return projector;
}
