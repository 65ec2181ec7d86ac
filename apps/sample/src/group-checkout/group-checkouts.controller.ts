import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateGroupCheckoutDto } from './create-group-checkout.dto.js';
import { GroupCheckoutsService } from './group-checkouts.service.js';

@Controller('group-checkouts')
export class GroupCheckoutsController {
  constructor(private readonly groupCheckouts: GroupCheckoutsService) {}

  @Post()
  start(@Body() body: CreateGroupCheckoutDto): Promise<{ groupId: string; processId: string }> {
    return this.groupCheckouts.start(body);
  }

  @Get(':groupId')
  get(@Param('groupId', new UuidParamPipe('group checkout')) groupId: string) {
    return this.groupCheckouts.view(groupId);
  }
}
