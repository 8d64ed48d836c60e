/** One typed function per API endpoint (shapes from ui/api/contract.ts). */
import type * as C from '../../api/contract.js';
import { request } from './client.js';

const enc = encodeURIComponent;

export const api = {
  me: () => request<C.Me>('GET', '/api/me'),
  dashboard: () => request<C.DashboardSnapshot>('GET', '/api/dashboard'),
  trades: (q: C.TradeQuery) => request<C.Page<C.TradeRow>>('GET', '/api/trades', { query: q }),
  events: (q: C.EventQuery) => request<C.Page<C.EventRow>>('GET', '/api/events', { query: q }),
  search: (q: string, page: C.PageQuery) => request<C.SearchResponse>('GET', '/api/search', { query: { q, ...page } }),
  trade: (tradeKey: string, cp?: string) => request<C.TradeDetail>('GET', `/api/trades/${enc(tradeKey)}`, { query: { cp } }),
  exceptions: (q: C.ExceptionQuery) => request<C.Page<C.ExceptionItem>>('GET', '/api/exceptions', { query: q }),
  exception: (id: number) => request<C.ExceptionDetail>('GET', `/api/exceptions/${id}`),
  assignException: (id: number, body: C.AssignRequest) => request<C.ExceptionItem>('POST', `/api/exceptions/${id}/assign`, { body }),
  bulkExceptions: (body: C.BulkExceptionRequest) => request<C.BulkExceptionResponse>('POST', '/api/exceptions/bulk', { body }),
  review: (q: C.ReviewQuery) => request<C.Page<C.ReviewItem>>('GET', '/api/review', { query: q }),
  decideReview: (body: C.ReviewDecisionRequest) => request<C.ReviewItem>('POST', '/api/review/decisions', { body }),
  corrections: (q: C.CorrectionQuery) => request<C.Page<C.CorrectionItem>>('GET', '/api/corrections', { query: q }),
  correction: (id: number) => request<C.CorrectionDetail>('GET', `/api/corrections/${id}`),
  createCorrection: (body: C.CreateCorrectionRequest) => request<C.CorrectionItem>('POST', '/api/corrections', { body }),
  approveCorrection: (id: number) => request<C.ApproveCorrectionResponse>('POST', `/api/corrections/${id}/approve`, { body: {} }),
  returnCorrection: (id: number, body: C.ReturnCorrectionRequest) => request<C.CorrectionItem>('POST', `/api/corrections/${id}/return`, { body }),
  elements: (regime?: string) => request<C.ElementsResponse>('GET', '/api/elements', { query: { regime } }),
  reports: (q: C.ReportQuery) => request<C.Page<C.ReportFileItem>>('GET', '/api/reports', { query: q }),
  submissions: (q: C.SubmissionQuery) => request<C.Page<C.SubmissionItem>>('GET', '/api/submissions', { query: q }),
  alerts: (q: C.AlertQuery) => request<C.Page<C.AlertItem>>('GET', '/api/alerts', { query: q }),
  acknowledgeAlert: (id: number) => request<C.AlertItem>('POST', `/api/alerts/${id}/acknowledge`, { body: {} }),
  sources: () => request<C.ListResponse<C.SourceItem>>('GET', '/api/sources'),
  models: () => request<C.ListResponse<C.ModelItem>>('GET', '/api/models'),
  activateModel: (versionId: string) => request<C.ModelItem>('POST', `/api/models/${enc(versionId)}/activate`, { body: {} }),
  users: () => request<C.ListResponse<C.UserItem>>('GET', '/api/users'),
  createUser: (body: C.CreateUserRequest) => request<C.UserItem>('POST', '/api/users', { body }),
  updateUser: (username: string, body: C.UpdateUserRequest) => request<C.UserItem>('PATCH', `/api/users/${enc(username)}`, { body }),
  resetPassword: (username: string, body: C.ResetPasswordRequest) => request<C.OkResponse>('POST', `/api/users/${enc(username)}/password`, { body }),
};
