import { type PipeTransform } from '@nestjs/common';
import { NotFoundError } from './domain.errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id in the path that is not a uuid cannot name anything: 404, like an unknown uuid. */
export class UuidParamPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) throw new NotFoundError(`No ${this.what} with id ${value}.`);
    return value.toLowerCase();
  }
}
