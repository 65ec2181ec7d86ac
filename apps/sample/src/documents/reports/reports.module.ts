import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ReportLine } from './report-line.entity.js';
import { ReportLinesProjector } from './report-lines.projector.js';
import { Report } from './report.entity.js';
import { ReportsController } from './reports.controller.js';
import { ReportsService } from './reports.service.js';

/**
 * Reports: reports and their lines, learnt from `DocumentIssued`. Who answers `MarkDocumentAsVoided`
 * depends on how the sample runs: a fake remote service in one process, a direct handler as a service.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Report, ReportLine])],
  controllers: [ReportsController],
  providers: [ReportsService, ReportLinesProjector],
  exports: [ReportsService],
})
export class ReportsModule {}
