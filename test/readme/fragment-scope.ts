/**
 * Names a README fragment (`<!-- readme-check: fragment -->`) may use without importing them: the
 * library's and Nest's. Whole examples import what they use, as a reader's file would.
 */
export { Injectable, Module } from '@nestjs/common';
export { ofType, Saga, UnhandledExceptionBus, type IEvent } from '@nestjs/cqrs';
export { Observable } from 'rxjs';
export {
  mapCaused,
  OnEvent,
  OrchestratedSaga,
  ProcessManager,
  ProcessManagerModule,
  type ProcessContext,
  type SagaContext,
} from 'nestjs-process-manager';
