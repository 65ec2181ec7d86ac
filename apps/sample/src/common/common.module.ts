import { Global, Module } from '@nestjs/common';
import { ProcessStarts } from './process-starts.js';

@Global()
@Module({ providers: [ProcessStarts], exports: [ProcessStarts] })
export class CommonModule {}
