import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { isDashboardShell } from './dashboard-access.js';

/** The part of the platform's response object used here. */
export interface HeaderTarget {
  setHeader(name: string, value: string): void;
}

/**
 * Only the dashboard's own files may run or style the page; nothing may frame it, and the browser
 * refuses string-to-DOM sinks (`innerHTML`) outright, so user data can only ever be text.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export function applyHeaders(response: HeaderTarget, kind: 'shell' | 'api'): void {
  response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  // The UI revalidates its files (an upgrade shows at once); API answers hold live data: never stored.
  response.setHeader('Cache-Control', kind === 'api' ? 'no-store' : 'no-cache');
}

/** Sets the dashboard's security and caching headers before each handler runs. */
@Injectable()
export class DashboardHeadersInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    applyHeaders(
      context.switchToHttp().getResponse<HeaderTarget>(),
      isDashboardShell(context) ? 'shell' : 'api',
    );
    return next.handle();
  }
}
