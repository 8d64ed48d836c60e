/**
 * The first admin's generated password goes to a file only the engine's user can read, never to the log (logs
 * are shipped, kept and read by many). The log says where the file is.
 */
import { constants } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

export function adminPasswordFilePath(dataDir: string): string {
  return join(dataDir, 'console-admin-password');
}

/**
 * Writes `password` to DATA_DIR/console-admin-password, mode 0600, and returns the path. A file left by an earlier
 * database's admin is replaced. Created with O_EXCL | O_NOFOLLOW after removing the old one, so a link planted
 * under that name is never followed and the mode is the one given here, not an older file's.
 */
export async function writeAdminPasswordFile(dataDir: string, password: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = adminPasswordFilePath(dataDir);
  await rm(path, { force: true });
  const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await file.writeFile(`${password}\n`);
  } finally {
    await file.close();
  }
  return path;
}
