import { type DynamicModule, Global, Module } from '@nestjs/common';
import { type ResolvedSampleOptions, SAMPLE_OPTIONS } from './sample-options.js';

/** Makes the resolved `SampleOptions` injectable everywhere as `SAMPLE_OPTIONS`. */
@Global()
@Module({})
export class SampleConfigModule {
  static forRoot(options: ResolvedSampleOptions): DynamicModule {
    return {
      module: SampleConfigModule,
      providers: [{ provide: SAMPLE_OPTIONS, useValue: options }],
      exports: [SAMPLE_OPTIONS],
    };
  }
}
