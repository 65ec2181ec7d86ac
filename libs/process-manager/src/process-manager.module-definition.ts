import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ProcessManagerModuleOptions } from './kernel/options.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: PROCESS_MANAGER_MODULE_OPTIONS,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ProcessManagerModuleOptions>({ moduleName: 'ProcessManager' })
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
