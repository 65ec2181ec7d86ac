import { Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { type PublishedReport, ReportsService } from './reports.service.js';

@Controller('reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get(':customerId')
  async documents(@Param('customerId') customerId: string) {
    return { customerId, documents: await this.reports.linesOf(customerId) };
  }

  @Post(':customerId/publish')
  @HttpCode(HttpStatus.OK)
  publish(@Param('customerId') customerId: string): Promise<PublishedReport> {
    return this.reports.publish(customerId);
  }
}
