import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FakeDownstream } from './fake-downstream.js';
import { FakeServiceRequest } from './fake-service-request.entity.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([FakeServiceRequest])],
  providers: [FakeDownstream],
  exports: [FakeDownstream],
})
export class DownstreamModule {}
