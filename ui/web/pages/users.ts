/** Users (admin): create, change role, disable, reset a password. */
import { html, useState } from '../html.js';
import { fmtTime, t } from '../i18n/index.js';
import { ROLES, type ListResponse, type Role, type UserItem } from '../../api/contract.js';
import { api } from '../api/endpoints.js';
import { PageHead } from '../components/layout.js';
import { DataTable, type Column } from '../components/data-table.js';
import { AsyncView } from '../components/async.js';
import { useResource } from '../components/use-resource.js';
import { Badge } from '../components/badge.js';
import { Dialog } from '../components/dialog.js';
import { InlineError } from '../components/states.js';

function CreateUser({ onDone, onClose }: { onDone: () => void; onClose: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [error, setError] = useState<unknown>(undefined);
  return html`<${Dialog} title=${t('users.create')} onClose=${onClose}>
    <form onSubmit=${async (e: Event) => {
      e.preventDefault();
      try {
        await api.createUser({ username: username.trim(), password, role });
        onDone();
      } catch (err) {
        setError(err);
      }
    }}>
      <label>${t('login.username')}<input name="username" required pattern="[a-z0-9._\\-]{2,64}" value=${username} onInput=${(e: Event) => setUsername((e.target as HTMLInputElement).value)} /></label>
      <label>${t('login.password')}<input name="password" type="password" required minlength="12" autocomplete="new-password" value=${password} onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} /></label>
      <label>${t('col.role')}<select name="role" value=${role} onChange=${(e: Event) => setRole((e.target as HTMLSelectElement).value as Role)}>
        ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select></label>
      <${InlineError} error=${error} />
      <div class="form-actions"><button type="button" onClick=${onClose}>${t('action.cancel')}</button><button type="submit" class="primary">${t('users.create')}</button></div>
    </form></${Dialog}>`;
}

function ResetPassword({ user, onClose }: { user: UserItem; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  return html`<${Dialog} title=${t('users.resetTitle', { user: user.username })} onClose=${onClose}>
    <form onSubmit=${async (e: Event) => {
      e.preventDefault();
      try {
        await api.resetPassword(user.username, { password });
        onClose();
      } catch (err) {
        setError(err);
      }
    }}>
      <label>${t('login.password')}<input type="password" required minlength="12" autocomplete="new-password" value=${password} onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} /></label>
      <${InlineError} error=${error} />
      <div class="form-actions"><button type="button" onClick=${onClose}>${t('action.cancel')}</button><button type="submit" class="primary">${t('users.reset')}</button></div>
    </form></${Dialog}>`;
}

export function UsersPage() {
  const res = useResource(() => api.users(), []);
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserItem | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const update = async (u: UserItem, body: { role?: Role; disabled?: boolean }) => {
    setError(undefined);
    try {
      await api.updateUser(u.username, body);
      res.reload();
    } catch (err) {
      setError(err);
    }
  };
  const columns: Column<UserItem>[] = [
    { label: t('login.username'), className: 'mono', render: (u) => u.username },
    { label: t('col.role'), render: (u) => html`<select aria-label=${t('col.role')} value=${u.role} onChange=${(e: Event) => void update(u, { role: (e.target as HTMLSelectElement).value as Role })}>
      ${ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select>` },
    { label: t('col.status'), render: (u) => html`<${Badge} value=${u.disabled ? 'disabled' : 'enabled'} />` },
    { label: t('col.created'), render: (u) => fmtTime(u.createdAt) },
    { label: t('col.lastLogin'), render: (u) => fmtTime(u.lastLoginAt) },
    { label: '', render: (u) => html`<span class="row-actions">
      <button type="button" class="small" onClick=${() => void update(u, { disabled: !u.disabled })}>${u.disabled ? t('users.enable') : t('users.disable')}</button>
      <button type="button" class="small" onClick=${() => setResetting(u)}>${t('users.reset')}</button></span>` },
  ];
  return html`<${PageHead} title=${t('nav.users')}><button type="button" class="primary" onClick=${() => setCreating(true)}>${t('users.create')}</button></${PageHead}>
    <${InlineError} error=${error} />
    <${AsyncView} res=${res} isEmpty=${(d: ListResponse<UserItem>) => d.items.length === 0}>
      ${(d: ListResponse<UserItem>) => html`<${DataTable} label=${t('nav.users')} rows=${d.items} columns=${columns} rowKey=${(u: UserItem) => u.username} />`}
    </${AsyncView}>
    ${creating ? html`<${CreateUser} onClose=${() => setCreating(false)} onDone=${() => { setCreating(false); res.reload(); }} />` : null}
    ${resetting ? html`<${ResetPassword} user=${resetting} onClose=${() => setResetting(undefined)} />` : null}`;
}
