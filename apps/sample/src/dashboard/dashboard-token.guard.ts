import { timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { isDashboardShell } from 'nestjs-process-manager/dashboard';
import { type ResolvedSampleOptions, SAMPLE_OPTIONS } from '../sample-options.js';

interface TokenRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The sample's demo guard: with `DASHBOARD_TOKEN` set, every dashboard API request needs
 * `Authorization: Bearer <token>`. The UI's static files hold no data and a browser cannot send the
 * header when it loads them, so they pass; the UI asks for the token once and sends it on every call.
 */
@Injectable()
export class DashboardTokenGuard implements CanActivate {
  constructor(@Inject(SAMPLE_OPTIONS) private readonly options: ResolvedSampleOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.options.dashboard.token;
    if (expected === undefined || isDashboardShell(context)) return true;
    const { headers } = context.switchToHttp().getRequest<TokenRequest>();
    const given = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''))?.[1] ?? '';
    if (!sameSecret(given, expected))
      throw new UnauthorizedException('The dashboard needs Authorization: Bearer <DASHBOARD_TOKEN>.');
    return true;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}
