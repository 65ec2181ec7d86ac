import { type DynamicModule, Module } from '@nestjs/common';
import { ProcessManagerDashboardModule } from 'nestjs-process-manager/dashboard';
import type { ResolvedSampleOptions } from '../sample-options.js';
import { DashboardTokenGuard } from './dashboard-token.guard.js';
import { DemoController } from './demo/demo.controller.js';

interface OperatorRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The library's dashboard at its default path `/process-manager`, behind the sample's demo guard
 * (`DASHBOARD_TOKEN`), read-only with `DASHBOARD_READ_ONLY=1`; plus the sample's own demo panel at
 * `/demo` that starts processes, and `/` leading to the dashboard.
 */
@Module({})
export class SampleDashboardModule {
  static forRoot(options: ResolvedSampleOptions): DynamicModule {
    return {
      module: SampleDashboardModule,
      imports: [
        ProcessManagerDashboardModule.forRoot({
          guards: [DashboardTokenGuard],
          readOnly: options.dashboard.readOnly,
          // Behind an SSO proxy (oauth2-proxy and the like) the operator's name arrives in a header.
          actor: (request: OperatorRequest) => {
            const user = request.headers['x-forwarded-user'];
            return typeof user === 'string' ? user : 'sample operator';
          },
        }),
      ],
      controllers: [DemoController],
    };
  }
}
