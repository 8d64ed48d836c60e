/**
 * The console's server side in one start call for the composition root: authentication (and the first admin),
 * the trade projector, the live state ticker, the WebSocket hub, and the routes installer for the HTTP server.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuthService } from './auth/service.js';
import { adminPasswordFilePath, writeAdminPasswordFile } from './auth/admin-password-file.js';
import { RefreshTokenPurge } from './auth/token-purge.js';
import { DataVersion } from './data-version.js';
import type { ConsoleDeps } from './deps.js';
import { LiveState } from './live.js';
import { TradeProjector } from './projector.js';
import { startProjectorThread, type RunningProjector } from './projector-on-thread.js';
import { installConsoleRoutes } from './routes.js';
import { DEFAULT_WS_HUB, WsHub, type WsHubOptions } from './ws-hub.js';
import type { TemplatedApp } from 'uws-pack';
import type { HttpContext } from '../../engine/http/http-server.js';
import { defaultDataDir } from '../../engine/config.js';
import { log } from '../../engine/log.js';

export interface RunningConsole {
  /** Installs /auth/*, /api/* and /ws on the engine's HTTP server (pass to listenHttp's `routes`). */
  routes: (app: TemplatedApp, http?: HttpContext) => void;
  auth: AuthService;
  /** Deletes expired refresh tokens at start and every `refreshTokenPurgeS`. */
  tokenPurge: RefreshTokenPurge;
  hub: WsHub;
  live: LiveState;
  dataVersion: DataVersion;
  /**
   * When this start created user admin with a generated password: the file (mode 0600, in the data directory) that
   * holds it. The caller logs the path, never the password; the file goes when admin changes the password.
   */
  adminPasswordFile: string | undefined;
  /** The trade projection's lag, and how long it has had events waiting with none applied (for /healthz). */
  projection(): { lagEvents: number; stalledForMs: number };
  stop(): Promise<void>;
}

export async function startConsole(deps: ConsoleDeps, wsOptions?: WsHubOptions): Promise<RunningConsole> {
  const auth = new AuthService(deps.pool, deps.config, deps.clock);
  const { adminPassword } = await auth.init();
  const adminPasswordFile = await keepAdminPassword(deps, auth, adminPassword);
  const tokenPurge = new RefreshTokenPurge(() => auth.purgeRefreshTokens(), deps.config.refreshTokenPurgeS * 1000);
  tokenPurge.start();
  const dataVersion = new DataVersion();
  const hub = new WsHub(auth, wsOptions ?? { ...DEFAULT_WS_HUB, recheckMs: deps.config.wsRecheckS * 1000 });
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
    routes: (app, http) => {
      installConsoleRoutes(app, { deps, auth, live, version: dataVersion, headers: http?.headers });
      hub.install(app, http);
    },
    auth, tokenPurge, hub, live, dataVersion, adminPasswordFile,
    projection: () => ({ lagEvents, stalledForMs: lagEvents > 0 ? Date.now() - lastProgressAt : 0 }),
    stop: async () => {
      hub.closeAll();
      await tokenPurge.stop();
      await live.stop();
      await projector?.stop();
    },
  };
}

/**
 * Where the first admin's generated password goes: a 0600 file in the data directory (a console embedded without
 * one writes where the engine would by default). The file goes once admin chooses a password, and a stale one goes
 * when the operator sets it (SWAPREP_ADMIN_PASSWORD). Without a data directory given, a file this start did not
 * write is never touched (it may be another engine's).
 */
async function keepAdminPassword(deps: ConsoleDeps, auth: AuthService, generated: string | undefined): Promise<string | undefined> {
  const file = adminPasswordFilePath(deps.dataDir ?? defaultDataDir());
  if (deps.dataDir === undefined && generated === undefined) return undefined;
  if (deps.config.adminPassword !== undefined) await rm(file, { force: true });
  auth.onUserChange((username, change) => {
    if (username === 'admin' && change === 'password') {
      rm(file, { force: true }).catch((err: unknown) => log('warn', `console: could not remove ${file}: ${(err as Error).message}`));
    }
  });
  return generated !== undefined ? writeAdminPasswordFile(dirname(file), generated) : undefined;
}

/** The projector on the caller's thread (a console given only a pool: tests of the API). */
function startInlineProjector(pool: ConsoleDeps['pool'], onPass: (events: number, lag: number) => void): RunningProjector {
  const projector = new TradeProjector(pool);
  projector.onPass = onPass;
  projector.start();
  return projector;
}
